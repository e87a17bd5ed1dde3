// The chart renderer, loaded on demand: `import('./vega.ts')` puts vega-embed, vega and vega-lite in a chunk
// of their own that the browser only fetches when the first chart appears. CSP-safe: Vega expressions are
// interpreted from their AST (vega-interpreter), never compiled with `new Function`; no actions menu.
import embed, { type VisualizationSpec } from 'vega-embed';
import { expressionInterpreter } from 'vega-interpreter';

export interface ChartHandle {
  finalize(): void;
}

export interface ChartRenderOptions {
  dark: boolean;
  fontFamily?: string;
  /** a readable description for the chart's SVG (aria-label) */
  description?: string;
}

export async function renderChart(
  el: HTMLElement,
  spec: Record<string, unknown>,
  options: ChartRenderOptions,
): Promise<ChartHandle> {
  const prepared: Record<string, unknown> = { ...spec };
  if (options.description && prepared.description === undefined) prepared.description = options.description;
  // single and layered views follow the panel's width (concat and facet specs keep their own sizing)
  const unitOrLayer = 'mark' in prepared || 'layer' in prepared;
  if (unitOrLayer && prepared.width === undefined) prepared.width = 'container';
  const result = await embed(el, prepared as VisualizationSpec, {
    mode: 'vega-lite',
    actions: false,
    ast: true,
    expr: expressionInterpreter,
    renderer: 'svg',
    defaultStyle: false,
    ...(options.dark ? { theme: 'dark' as const } : {}),
    config: {
      background: 'transparent',
      ...(options.fontFamily ? { font: options.fontFamily } : {}),
      autosize: { type: 'fit-x', contains: 'padding' },
    },
    // vega-tooltip would inject a <style> element, which a strict CSP (style-src 'self') blocks
    tooltip: { theme: options.dark ? 'dark' : 'light', disableDefaultStyle: true },
  });
  adoptTooltipStyles();
  return { finalize: () => result.finalize() };
}

let tooltipStylesAdopted = false;

/** The tooltip's look, as a constructable stylesheet: allowed under a strict CSP, unlike an injected <style>. */
function adoptTooltipStyles(): void {
  if (tooltipStylesAdopted || typeof CSSStyleSheet === 'undefined' || !('adoptedStyleSheets' in document))
    return;
  const sheet = new CSSStyleSheet();
  sheet.replaceSync(`
    #vg-tooltip-element { visibility: hidden; padding: 6px 8px; position: fixed; z-index: 2147483647;
      font: 12px system-ui, sans-serif; border-radius: 4px; box-shadow: 0 2px 8px rgb(0 0 0 / 20%);
      background: #fff; color: #111; border: 1px solid #ddd; pointer-events: none; max-width: 320px; }
    #vg-tooltip-element.visible { visibility: visible; }
    #vg-tooltip-element.dark-theme { background: #222; color: #eee; border-color: #444; }
    #vg-tooltip-element table { border-spacing: 0; }
    #vg-tooltip-element td.key { color: #777; text-align: right; padding-right: 4px; }
    #vg-tooltip-element td.value { text-align: left; }
  `);
  document.adoptedStyleSheets = [...document.adoptedStyleSheets, sheet];
  tooltipStylesAdopted = true;
}
