// @vitest-environment happy-dom
import { afterEach, describe, expect, it, vi } from 'vitest';
import { settle } from '../../test/support/widget-fakes.ts';
import type { AnswerData, AnswerTable } from '../types.ts';
import './result-chart.ts';
import type { ChartRenderer, ParleyResultChart } from './result-chart.ts';

const spec = {
  $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
  mark: 'bar',
  data: { values: [{ month: 'Jan', revenue: 9 }] },
  encoding: { x: { field: 'month', type: 'nominal' }, y: { field: 'revenue', type: 'quantitative' } },
};
const table: AnswerTable = { head: ['Month', 'Revenue'], body: [['Jan', '$9']] };
const data: AnswerData = {
  columns: [
    { name: 'month', type: 'string' },
    { name: 'revenue', type: 'number' },
  ],
  rows: [['Jan', 9]],
};

async function mount(renderer: ChartRenderer): Promise<ParleyResultChart> {
  const el = document.createElement('parley-result-chart');
  Object.assign(el, { spec, table, data, renderer, caption: 'Revenue by month' });
  document.body.append(el);
  await settle();
  return el;
}

afterEach(() => {
  document.body.innerHTML = '';
});

describe('<parley-result-chart>', () => {
  it('draws the spec into its figure (CSP-safe options are the renderer’s job)', async () => {
    const finalize = vi.fn();
    const renderer = vi.fn<ChartRenderer>(async (el) => {
      el.append(document.createElement('svg'));
      return { finalize };
    });
    const el = await mount(renderer);
    expect(renderer).toHaveBeenCalledTimes(1);
    expect(renderer.mock.calls[0]?.[1]).toBe(spec);
    expect(el.status).toBe('ready');
    const figure = el.shadowRoot?.querySelector('[part="chart"]');
    expect(figure?.getAttribute('role')).toBe('figure');
    expect(figure?.getAttribute('aria-label')).toBe('Chart: Revenue by month');
    el.remove();
    expect(finalize).toHaveBeenCalled();
  });

  it('falls back to the table when the chart fails', async () => {
    const el = await mount(async () => {
      throw new Error('bad spec');
    });
    expect(el.status).toBe('failed');
    expect(el.shadowRoot?.textContent).toContain('The chart could not be shown');
    const t = el.shadowRoot?.querySelector('parley-result-table');
    await t?.updateComplete;
    expect(t?.shadowRoot?.querySelectorAll('tbody tr')).toHaveLength(1);
  });

  it('switches between the chart and the table', async () => {
    const el = await mount(async () => ({ finalize() {} }));
    el.shadowRoot?.querySelector<HTMLButtonElement>('[part="toggle"]')?.click();
    await settle();
    expect(el.status).toBe('table');
    expect(el.shadowRoot?.querySelector('parley-result-table')).toBeTruthy();
    el.shadowRoot?.querySelector<HTMLButtonElement>('[part="toggle"]')?.click();
    await settle();
    expect(el.status).toBe('ready');
  });
});
