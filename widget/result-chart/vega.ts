// The chart renderer, loaded on demand: `import('./vega.ts')` puts vega-embed, vega and vega-lite in a chunk
// of their own that the browser only fetches when the first chart appears. CSP-safe: Vega expressions are
// interpreted from their AST (vega-interpreter), never compiled with `new Function`; no actions menu.
import type { TooltipHandler } from 'vega';
import embed, { type VisualizationSpec } from 'vega-embed';
import { expressionInterpreter } from 'vega-interpreter';
import { escapeHTML, formatValue } from 'vega-tooltip';

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
    // the tooltip lives inside the chart's own (shadow) container, themed by the widget's styles: vega-tooltip
    // would append it to the page's <body>, where host CSS restyles it and the widget's dark theme does not reach
    tooltip: shadowTooltip(el),
  });
  return { finalize: () => result.finalize() };
}

/**
 * A Vega tooltip handler that draws into `container` (a child of the widget's shadow root), positioned near the
 * pointer inside the container. The content is vega-tooltip's own sanitised table of the datum.
 */
export function shadowTooltip(container: HTMLElement): TooltipHandler {
  let tip: HTMLDivElement | undefined;
  return (_handler, event, _item, value) => {
    if (!tip?.isConnected) {
      tip = document.createElement('div');
      tip.className = 'chart-tooltip';
      tip.setAttribute('role', 'tooltip');
      tip.setAttribute('part', 'tooltip');
      container.append(tip);
    }
    if (value === null || value === undefined || value === '') {
      tip.hidden = true;
      return;
    }
    tip.innerHTML = formatValue(value, escapeHTML, 2);
    tip.hidden = false;
    const box = container.getBoundingClientRect();
    const size = tip.getBoundingClientRect();
    const pointer = event as MouseEvent;
    // right of and below the pointer, flipped to the other side when it would leave the chart
    let x = pointer.clientX - box.left + 12;
    let y = pointer.clientY - box.top + 12;
    if (x + size.width > box.width) x = Math.max(0, pointer.clientX - box.left - size.width - 12);
    if (y + size.height > box.height) y = Math.max(0, pointer.clientY - box.top - size.height - 12);
    tip.style.left = `${x}px`;
    tip.style.top = `${y}px`;
  };
}
