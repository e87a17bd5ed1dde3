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
    tooltip: { theme: options.dark ? 'dark' : 'light' },
  });
  return { finalize: () => result.finalize() };
}
