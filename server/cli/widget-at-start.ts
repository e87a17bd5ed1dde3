// `parley serve` on a fresh clone: build the widget bundle once before the server starts, or say how to.
import { WIDGET_NOT_BUILT } from '../http/widget-not-built.ts';

export interface WidgetAtStart {
  /** whether dist/widget has no bundle */
  missing(): boolean;
  /** builds it (vite build) */
  build(): Promise<void>;
  log(line: string): void;
}

/**
 * A fresh clone has no widget bundle: build it once, saying so, before the server starts. When it cannot be built
 * (no dev dependencies, a failed build) the server still starts and /widget/parley-widget.js answers a 404 that says
 * how to build it. Resolves to whether a bundle exists afterwards.
 */
export async function widgetBundleAtFirstStart(widget: WidgetAtStart): Promise<boolean> {
  if (!widget.missing()) return true;
  widget.log('No widget bundle yet (first start): building it into dist/widget with vite, once...');
  try {
    await widget.build();
  } catch (err) {
    const why = err instanceof Error ? err.message : String(err);
    widget.log(`Could not build the widget (${why}); ${WIDGET_NOT_BUILT}`);
    return false;
  }
  widget.log('Built the widget bundle: /widget/parley-widget.js');
  return true;
}
