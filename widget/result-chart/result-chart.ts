import { css, html, LitElement, nothing, type PropertyValues } from 'lit';
import { createRef, type Ref, ref } from 'lit/directives/ref.js';
import { defineElement } from '../define.ts';
import '../result-table/result-table.ts';
import { base } from '../shared/styles.ts';
import { DEFAULT_STRINGS, fmt, type ParleyStrings } from '../strings.ts';
import type { AnswerData, AnswerTable } from '../types.ts';
import type { ChartHandle, ChartRenderOptions } from './vega.ts';

/** Renders a spec into an element; the default loads vega-embed lazily (its own chunk). */
export type ChartRenderer = (
  el: HTMLElement,
  spec: Record<string, unknown>,
  options: ChartRenderOptions,
) => Promise<ChartHandle>;

let defaultRenderer: Promise<ChartRenderer> | undefined;

/** The lazily imported renderer, shared by every chart of the page (one fetch of the chunk). */
export function loadDefaultRenderer(): Promise<ChartRenderer> {
  if (!defaultRenderer) {
    defaultRenderer = import('./vega.ts').then((m) => m.renderChart);
    // a failed fetch (offline) may be retried by the next chart
    defaultRenderer.catch(() => {
      defaultRenderer = undefined;
    });
  }
  return defaultRenderer;
}

/**
 * - `loading`: the chart code or the chart is being loaded
 * - `ready`: the chart is shown
 * - `failed`: it could not be drawn; the table is shown instead
 * - `table`: the user chose the table view
 */
export type ChartStatus = 'loading' | 'ready' | 'failed' | 'table';

/**
 * A Vega-Lite chart of an answer, with a table view (and a fallback to the table when the chart fails).
 *
 * @csspart chart - the chart's container
 * @csspart toggle - the chart/table switch
 */
export class ParleyResultChart extends LitElement {
  static override properties = {
    spec: { attribute: false },
    table: { attribute: false },
    data: { attribute: false },
    strings: { attribute: false },
    caption: {},
    dark: { type: Boolean },
    renderer: { attribute: false },
    status: { state: true },
  };

  static override styles = [
    base,
    css`
      :host {
        display: block;
      }
      .chart {
        inline-size: 100%;
        min-block-size: 120px;
      }
      .chart svg {
        max-inline-size: 100%;
        block-size: auto;
      }
      .chart {
        position: relative;
      }
      /* the chart's tooltip (widget/result-chart/vega.ts): inside this shadow root, so host CSS cannot restyle it */
      .chart-tooltip {
        position: absolute;
        z-index: 1;
        max-inline-size: min(320px, 90%);
        padding: 6px 8px;
        border: 1px solid var(--parley-color-border);
        border-radius: var(--parley-radius-small);
        background: var(--parley-color-surface);
        color: var(--parley-color-text);
        box-shadow: var(--parley-shadow);
        font: 12px / 1.4 var(--parley-font-family);
        pointer-events: none;
      }
      .chart-tooltip[hidden] {
        display: none;
      }
      .chart-tooltip table {
        border-spacing: 0;
      }
      .chart-tooltip td.key {
        color: var(--parley-color-muted);
        text-align: end;
        padding-inline-end: 6px;
      }
      .bar {
        display: flex;
        justify-content: flex-end;
        margin-block-end: calc(var(--parley-space) / 2);
      }
    `,
  ];

  spec: Record<string, unknown> | undefined;
  table: AnswerTable | undefined;
  data: AnswerData | undefined;
  strings: ParleyStrings = { ...DEFAULT_STRINGS };
  caption = '';
  dark = false;
  /** test seam: how the spec is drawn (default: vega-embed, lazily loaded) */
  renderer: ChartRenderer | undefined;
  status: ChartStatus = 'loading';
  private readonly container: Ref<HTMLDivElement> = createRef();
  private handle: ChartHandle | undefined;
  private drawId = 0;

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    this.release();
  }

  override connectedCallback(): void {
    super.connectedCallback();
    // re-attached after a move: draw again
    if (this.hasUpdated && this.status === 'ready' && !this.handle) void this.draw();
  }

  protected override updated(changed: PropertyValues<this>): void {
    const redraw =
      changed.has('spec') || changed.has('dark') || (changed.has('status') && this.status === 'loading');
    if (redraw && this.status !== 'table' && this.status !== 'failed') void this.draw();
  }

  private release(): void {
    this.drawId += 1;
    this.handle?.finalize();
    this.handle = undefined;
  }

  private async draw(): Promise<void> {
    this.release();
    const id = this.drawId;
    const el = this.container.value;
    if (!this.spec || !el) {
      if (!this.spec) this.status = 'failed';
      return;
    }
    try {
      const render = this.renderer ?? (await loadDefaultRenderer());
      if (id !== this.drawId) return;
      const fontFamily = getComputedStyle(this).getPropertyValue('--parley-font-family').trim() || undefined;
      const handle = await render(el, this.spec, {
        dark: this.dark,
        fontFamily,
        description: this.caption || undefined,
      });
      if (id !== this.drawId) {
        handle.finalize();
        return;
      }
      this.handle = handle;
      this.status = 'ready';
    } catch (err) {
      if (id !== this.drawId) return;
      this.status = 'failed';
      this.dispatchEvent(new ChartFailedEvent(err));
    }
  }

  private showTable(table: boolean): void {
    if (table) {
      this.release();
      this.status = 'table';
    } else this.status = 'loading';
  }

  protected override render() {
    const s = this.strings;
    const hasTable = this.table !== undefined || this.data !== undefined;
    const tableView = html`<parley-result-table
      .table=${this.table}
      .data=${this.data}
      .strings=${this.strings}
      caption=${this.caption}
      exportparts="table,pager,download"
    ></parley-result-table>`;
    switch (this.status) {
      case 'failed':
        return html`<p class="muted" role="note">${s.chartFailed}</p>
          ${hasTable ? tableView : nothing}`;
      case 'table':
        return html`<div class="bar">
            <button type="button" class="btn" part="toggle" @click=${() => this.showTable(false)}>${s.showChart}</button>
          </div>
          ${tableView}`;
      case 'loading':
      case 'ready':
        return html`${
          hasTable
            ? html`<div class="bar">
              <button type="button" class="btn" part="toggle" @click=${() => this.showTable(true)}>
                ${s.showTable}
              </button>
            </div>`
            : nothing
        }
          <div
            class="chart"
            part="chart"
            role="figure"
            aria-label=${fmt(s.chartLabel, { title: this.caption })}
            aria-busy=${this.status === 'loading' ? 'true' : 'false'}
            ${ref(this.container)}
          ></div>
          ${this.status === 'loading' ? html`<p class="muted">${s.chartLoading}</p>` : nothing}`;
      default:
        throw new Error(`unknown chart status ${String(this.status)}`);
    }
  }
}

/** Internal: the chart could not be drawn (the element already shows the table). */
export class ChartFailedEvent extends Event {
  static readonly eventName = 'parley-chart-failed' as const;
  readonly error: unknown;

  constructor(error: unknown) {
    super(ChartFailedEvent.eventName, { bubbles: true, composed: false });
    this.error = error;
  }
}

defineElement('parley-result-chart', ParleyResultChart);

declare global {
  interface HTMLElementTagNameMap {
    'parley-result-chart': ParleyResultChart;
  }
}
