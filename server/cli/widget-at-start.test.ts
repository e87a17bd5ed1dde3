import { describe, expect, it } from 'vitest';
import { WIDGET_NOT_BUILT } from '../http/widget-not-built.ts';
import { widgetBundleAtFirstStart } from './widget-at-start.ts';

function recorder(missing: boolean, build: () => Promise<void>) {
  const lines: string[] = [];
  let builds = 0;
  return {
    lines,
    builds: () => builds,
    widget: {
      missing: () => missing,
      build: () => {
        builds += 1;
        return build();
      },
      log: (line: string) => lines.push(line),
    },
  };
}

describe('parley serve: the widget bundle at first start', () => {
  it('builds a missing bundle once, with a log line before and after', async () => {
    const r = recorder(true, async () => {});
    expect(await widgetBundleAtFirstStart(r.widget)).toBe(true);
    expect(r.builds()).toBe(1);
    expect(r.lines).toEqual([
      'No widget bundle yet (first start): building it into dist/widget with vite, once...',
      'Built the widget bundle: /widget/parley-widget.js',
    ]);
  });

  it('leaves an existing bundle alone and says nothing', async () => {
    const r = recorder(false, async () => {});
    expect(await widgetBundleAtFirstStart(r.widget)).toBe(true);
    expect(r.builds()).toBe(0);
    expect(r.lines).toEqual([]);
  });

  it('when the build fails, says why and how to build it, and lets the server start', async () => {
    const r = recorder(true, () => Promise.reject(new Error('vite is not installed')));
    expect(await widgetBundleAtFirstStart(r.widget)).toBe(false);
    expect(r.lines[1]).toBe(`Could not build the widget (vite is not installed); ${WIDGET_NOT_BUILT}`);
    expect(r.lines[1]).toContain('npm run build:widget');
  });
});
