import { css, html, LitElement, nothing, type PropertyValues } from 'lit';
import { defineElement } from '../define.ts';
import { icons } from '../shared/icons.ts';
import { base } from '../shared/styles.ts';
import { DEFAULT_STRINGS, fmt, type ParleyStrings } from '../strings.ts';
import type { AnswerData, AnswerTable, CellValue, ColumnType } from '../types.ts';
import { csvFilename, shownRowsName, toCsv } from './csv.ts';

export type SortDirection = 'ascending' | 'descending';

export interface TableRow {
  /** position in the result as the server sent it */
  index: number;
  /** the formatted strings shown */
  cells: string[];
  /** the typed values (from `data.rows`), used for sorting and CSV */
  values: CellValue[] | undefined;
}

export interface TableModel {
  head: string[];
  types: ColumnType[];
  rows: TableRow[];
}

const NUMERIC_TEXT = /^[-+]?[\d\s.,]*\d[\d\s.,]*%?$/;

function displayValue(value: CellValue | undefined): string {
  if (value === null || value === undefined) return '';
  return String(value);
}

/** Pairs the formatted `table` with the typed `data` (same rows, same order) into one model. */
export function tableModel(table: AnswerTable | undefined, data: AnswerData | undefined): TableModel {
  const head = table?.head ?? data?.columns.map((c) => c.name) ?? [];
  const rowsOfData = data?.rows ?? [];
  const body = table?.body ?? rowsOfData.map((r) => r.map(displayValue));
  const paired =
    data !== undefined && data.columns.length === head.length && rowsOfData.length === body.length;
  const types: ColumnType[] = head.map((_, c) => {
    const declared = paired ? data.columns[c]?.type : undefined;
    if (declared) return declared;
    const texts = body.map((r) => r[c] ?? '').filter((t) => t !== '');
    return texts.length > 0 && texts.every((t) => NUMERIC_TEXT.test(t)) ? 'number' : 'string';
  });
  return {
    head,
    types,
    rows: body.map((cells, index) => ({ index, cells, values: paired ? rowsOfData[index] : undefined })),
  };
}

function parseNumber(text: string): number {
  const n = Number(text.replace(/[^\d.eE+-]/g, ''));
  return Number.isFinite(n) ? n : Number.NaN;
}

function compareCells(a: TableRow, b: TableRow, column: number, type: ColumnType): number {
  const va = a.values ? a.values[column] : undefined;
  const vb = b.values ? b.values[column] : undefined;
  const ta = a.cells[column] ?? '';
  const tb = b.cells[column] ?? '';
  // empty cells last, whatever the direction is applied later
  const emptyA = va === null || (va === undefined && ta === '');
  const emptyB = vb === null || (vb === undefined && tb === '');
  if (emptyA || emptyB) return emptyA === emptyB ? 0 : emptyA ? 1 : -1;
  switch (type) {
    case 'number': {
      const na = typeof va === 'number' ? va : parseNumber(ta);
      const nb = typeof vb === 'number' ? vb : parseNumber(tb);
      return (Number.isNaN(na) ? 0 : na) - (Number.isNaN(nb) ? 0 : nb);
    }
    case 'date': {
      const sa = typeof va === 'string' ? va : ta;
      const sb = typeof vb === 'string' ? vb : tb;
      return sa < sb ? -1 : sa > sb ? 1 : 0;
    }
    case 'boolean':
      return Number(va === true || ta === 'true') - Number(vb === true || tb === 'true');
    case 'string':
      return String(va ?? ta).localeCompare(String(vb ?? tb), undefined, {
        numeric: true,
        sensitivity: 'base',
      });
    default:
      throw new Error(`unknown column type ${String(type)}`);
  }
}

/** A sorted copy (stable: ties keep the server's order). Empty cells stay last in both directions. */
export function sortRows(
  rows: readonly TableRow[],
  column: number,
  type: ColumnType,
  direction: SortDirection,
) {
  const sign = direction === 'ascending' ? 1 : -1;
  return [...rows].sort((a, b) => {
    const aEmpty = (a.values ? a.values[column] === null : false) || (a.cells[column] ?? '') === '';
    const bEmpty = (b.values ? b.values[column] === null : false) || (b.cells[column] ?? '') === '';
    if (aEmpty !== bEmpty) return aEmpty ? 1 : -1;
    return sign * compareCells(a, b, column, type) || a.index - b.index;
  });
}

/**
 * A result table: sortable columns (click a header), numbers aligned to the end, pages of `page-size` rows and
 * "Download CSV" of the typed data (formula-escaped).
 *
 * @csspart table - the table element
 * @csspart pager - the paging controls
 * @csspart download - the Download CSV button
 */
export class ParleyResultTable extends LitElement {
  static override properties = {
    table: { attribute: false },
    data: { attribute: false },
    strings: { attribute: false },
    caption: {},
    filename: {},
    fullExport: { attribute: false },
    exporting: { state: true },
    exportError: { state: true },
    pageSize: { type: Number, attribute: 'page-size' },
    sortColumn: { state: true },
    sortDirection: { state: true },
    page: { state: true },
  };

  static override styles = [
    base,
    css`
      :host {
        display: block;
        max-inline-size: 100%;
      }
      .scroll {
        overflow: auto;
        max-block-size: 420px;
        border: 1px solid var(--parley-color-border);
        border-radius: var(--parley-radius-small);
      }
      table {
        border-collapse: collapse;
        inline-size: 100%;
        font-variant-numeric: tabular-nums;
      }
      th,
      td {
        padding-block: calc(var(--parley-space) / 2);
        padding-inline: var(--parley-space);
        border-block-end: 1px solid var(--parley-color-border);
        text-align: start;
        white-space: nowrap;
      }
      th {
        position: sticky;
        inset-block-start: 0;
        background: var(--parley-color-surface);
        font-weight: 600;
        padding: 0;
      }
      th button {
        display: flex;
        align-items: center;
        gap: 4px;
        inline-size: 100%;
        padding-block: calc(var(--parley-space) / 2);
        padding-inline: var(--parley-space);
        border: 0;
        background: transparent;
        font-weight: inherit;
        text-align: inherit;
      }
      .num,
      .num button {
        text-align: end;
        justify-content: flex-end;
      }
      tbody tr:last-child td {
        border-block-end: 0;
      }
      .sort-icon {
        opacity: 0.5;
      }
      th[aria-sort='ascending'] .sort-icon,
      th[aria-sort='descending'] .sort-icon {
        opacity: 1;
      }
      .footer {
        display: flex;
        flex-wrap: wrap;
        align-items: center;
        justify-content: space-between;
        gap: var(--parley-space);
        margin-block-start: calc(var(--parley-space) / 2);
        font-size: 0.9em;
      }
      .pager {
        display: flex;
        align-items: center;
        gap: calc(var(--parley-space) / 2);
      }
      :host(:dir(rtl)) .flip {
        transform: scaleX(-1);
      }
    `,
  ];

  table: AnswerTable | undefined;
  data: AnswerData | undefined;
  strings: ParleyStrings = { ...DEFAULT_STRINGS };
  caption = '';
  /** the CSV's file name without ".csv" (the answer's exportName); default: from the caption */
  filename: string | undefined;
  /** fetches the whole result as CSV when the answer was cut at the row cap */
  fullExport: (() => Promise<Blob>) | undefined;
  exporting = false;
  exportError = '';
  pageSize = 50;
  sortColumn: number | null = null;
  sortDirection: SortDirection = 'ascending';
  page = 0;
  private model: TableModel = { head: [], types: [], rows: [] };

  protected override willUpdate(changed: PropertyValues<this>): void {
    if (changed.has('table') || changed.has('data')) {
      this.model = tableModel(this.table, this.data);
      this.sortColumn = null;
      this.page = 0;
    }
  }

  /** The rows in display order (sorted when a column is chosen). */
  get sortedRows(): TableRow[] {
    const { sortColumn } = this;
    if (sortColumn === null) return this.model.rows;
    return sortRows(
      this.model.rows,
      sortColumn,
      this.model.types[sortColumn] ?? 'string',
      this.sortDirection,
    );
  }

  get pageCount(): number {
    return Math.max(1, Math.ceil(this.model.rows.length / Math.max(1, this.pageSize)));
  }

  /** Sorts by a column: ascending first, then descending on a second click. */
  sortBy(column: number): void {
    if (this.sortColumn === column) {
      this.sortDirection = this.sortDirection === 'ascending' ? 'descending' : 'ascending';
    } else {
      this.sortColumn = column;
      this.sortDirection = this.model.types[column] === 'number' ? 'descending' : 'ascending';
    }
    this.page = 0;
  }

  goToPage(page: number): void {
    this.page = Math.min(Math.max(0, page), this.pageCount - 1);
  }

  /** The CSV text of the whole result (all pages, in the current order). */
  csv(): string {
    const rows = this.sortedRows;
    if (this.data && rows.every((r) => r.values)) {
      const head =
        this.table && this.table.head.length === this.data.columns.length
          ? this.table.head
          : this.data.columns.map((c) => c.name);
      return toCsv(
        head,
        rows.map((r) => r.values ?? []),
      );
    }
    return toCsv(
      this.model.head,
      rows.map((r) => r.cells),
    );
  }

  private download(): void {
    const shown = this.sortedRows.length;
    // a result cut at the cap: the rows shown get a name of their own, apart from the full export's
    const name = this.data?.truncated ? shownRowsName(this.fileBase(), shown) : this.fileBase();
    this.save(new Blob(['\uFEFF', this.csv()], { type: 'text/csv;charset=utf-8' }), name);
  }

  /** The CSV's name without ".csv": the answer's exportName, else made from the caption. */
  private fileBase(): string {
    return this.filename || csvFilename(this.caption).replace(/\.csv$/, '');
  }

  /** The whole result from the server (a truncated answer): `fullExport` fetches it as a CSV Blob. */
  private async downloadAll(): Promise<void> {
    if (!this.fullExport || this.exporting) return;
    this.exporting = true;
    this.exportError = '';
    try {
      this.save(await this.fullExport(), this.fileBase());
    } catch (err) {
      this.exportError = fmt(this.strings.downloadAllFailed, {
        message: err instanceof Error ? err.message : String(err),
      });
    } finally {
      this.exporting = false;
    }
  }

  private save(blob: Blob, name: string): void {
    const url = URL.createObjectURL(blob);
    const a = document.createElement('a');
    a.href = url;
    a.download = `${name}.csv`;
    a.hidden = true;
    this.renderRoot.appendChild(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10_000);
  }

  private renderTruncated() {
    const s = this.strings;
    if (!this.data?.truncated) return nothing;
    const count = this.model.rows.length;
    const total = this.data.total;
    if (total === undefined || total <= count)
      return html`<p class="muted">${fmt(s.truncated, { count: count.toLocaleString('en-US') })}</p>`;
    const shownTotal = total.toLocaleString('en-US');
    return html`<p class="muted truncated" part="truncated">
        ${fmt(s.truncatedOf, { count: count.toLocaleString('en-US'), total: shownTotal })}
        ${
          this.fullExport
            ? html`<button
              type="button"
              class="btn"
              part="download-all"
              ?disabled=${this.exporting}
              @click=${() => this.downloadAll()}
            >
              ${icons.download}${this.exporting ? s.downloadingAll : fmt(s.downloadAll, { total: shownTotal })}
            </button>`
            : nothing
        }
      </p>
      ${this.exportError ? html`<p class="muted" role="alert">${this.exportError}</p>` : nothing}`;
  }

  protected override render() {
    const s = this.strings;
    const { head, types } = this.model;
    const rows = this.sortedRows;
    const size = Math.max(1, this.pageSize);
    const from = this.page * size;
    const visible = rows.slice(from, from + size);
    const paged = rows.length > size;
    const sortIcon = (c: number) =>
      this.sortColumn !== c
        ? icons.sortNone
        : this.sortDirection === 'ascending'
          ? icons.sortAsc
          : icons.sortDesc;
    const canDownload = rows.length > 0 && (this.data !== undefined || this.table !== undefined);
    return html`
      <div class="scroll" tabindex="0" role="region" aria-label=${this.caption || s.tableCaption}>
        <table part="table">
          <caption class="sr-only">${this.caption || s.tableCaption}</caption>
          <thead>
            <tr>
              ${head.map(
                (h, c) => html`<th
                  scope="col"
                  class=${types[c] === 'number' ? 'num' : ''}
                  aria-sort=${this.sortColumn === c ? this.sortDirection : 'none'}
                >
                  <button type="button" title=${fmt(s.sortBy, { column: h })} @click=${() => this.sortBy(c)}>
                    <span><bdi>${h}</bdi></span><span class="sort-icon">${sortIcon(c)}</span>
                  </button>
                </th>`,
              )}
            </tr>
          </thead>
          <tbody>
            ${visible.map(
              (row) =>
                html`<tr>
                  ${head.map((_, c) => html`<td class=${types[c] === 'number' ? 'num' : ''}><bdi>${row.cells[c] ?? ''}</bdi></td>`)}
                </tr>`,
            )}
          </tbody>
        </table>
      </div>
      <div class="footer">
        ${
          paged
            ? html`<div class="pager" part="pager">
              <button
                type="button"
                class="btn ghost"
                aria-label=${s.previousPage}
                ?disabled=${this.page === 0}
                @click=${() => this.goToPage(this.page - 1)}
              >
                <span class="flip">${icons.chevronStart}</span>
              </button>
              <span class="muted page-status">${fmt(s.pageStatus, {
                from: from + 1,
                to: from + visible.length,
                total: rows.length,
              })}</span>
              <button
                type="button"
                class="btn ghost"
                aria-label=${s.nextPage}
                ?disabled=${this.page >= this.pageCount - 1}
                @click=${() => this.goToPage(this.page + 1)}
              >
                <span class="flip">${icons.chevronEnd}</span>
              </button>
            </div>`
            : html`<span></span>`
        }
        ${
          canDownload
            ? html`<button type="button" class="btn" part="download" @click=${() => this.download()}>
              ${icons.download}${s.downloadCsv}
            </button>`
            : nothing
        }
      </div>
      ${this.renderTruncated()}
    `;
  }
}

defineElement('parley-result-table', ParleyResultTable);

declare global {
  interface HTMLElementTagNameMap {
    'parley-result-table': ParleyResultTable;
  }
}
