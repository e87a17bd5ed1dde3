import { css, html, LitElement, nothing, type TemplateResult } from 'lit';
import { createRef, type Ref, ref } from 'lit/directives/ref.js';
import { ApiError, type ParleyApi } from '../api.ts';
import { LoadController } from '../controllers/load-controller.ts';
import {
  checkFile,
  type FileCheck,
  MAX_UPLOAD_BYTES,
  UploadsController,
} from '../controllers/uploads-controller.ts';
import { defineElement } from '../define.ts';
import { icons } from '../shared/icons.ts';
import { base } from '../shared/styles.ts';
import { DEFAULT_STRINGS, fmt, formatBytes, type ParleyStrings } from '../strings.ts';
import type { DatasetInfo, DatasetScope } from '../types.ts';
import { fileQuestions } from './file-questions.ts';
import { type FilePreview, readPreview } from './preview.ts';
import { sniffFile } from './sniff.ts';

/**
 * - `choose`: waiting for a file
 * - `reading`: reading the preview
 * - `preview`: showing the preview, notes and scope; waiting for confirmation
 * - `uploading`: sending (progress bar, stop button)
 */
export type UploadStep = 'choose' | 'reading' | 'preview' | 'uploading';

export interface UploadPanelHooks {
  uploaded(dataset: DatasetInfo): void;
  error(code: string, message: string): void;
  /** asks a suggested question about the file in the chat; false when it was not sent */
  ask?(question: string): boolean;
  /** leaves the files for the chat */
  back?(): void;
}

/**
 * Upload CSV/JSON data files (button or drag and drop), with browser-side checks, a local preview, notes and,
 * when the session may share, a scope; lists my files and my organisation's shared files with delete.
 *
 * @csspart upload-panel - the panel
 * @csspart dropzone - the drop target
 * @csspart progress - the progress bar
 * @csspart preview - the preview table
 */
export class ParleyUploadPanel extends LitElement {
  static override properties = {
    api: { attribute: false },
    strings: { attribute: false },
    canShare: { type: Boolean, attribute: 'can-share' },
    contextKey: { attribute: 'context-key' },
    hooks: { attribute: false },
    xhrFactory: { attribute: false },
    step: { state: true },
    file: { state: true },
    preview: { state: true },
    notes: { state: true },
    scope: { state: true },
    message: { state: true },
    suggestions: { state: true },
    datasets: { state: true },
    dragging: { state: true },
  };

  static override styles = [
    base,
    css`
      :host {
        display: block;
        overflow: auto;
      }
      section {
        display: grid;
        gap: var(--parley-space);
        padding: var(--parley-space);
      }
      h2,
      h3 {
        margin: 0;
        font-size: 1em;
      }
      .dropzone {
        display: grid;
        place-items: center;
        gap: calc(var(--parley-space) / 2);
        padding: calc(var(--parley-space) * 2);
        border: 2px dashed var(--parley-color-border);
        border-radius: var(--parley-radius);
        text-align: center;
      }
      .dropzone.dragging {
        border-color: var(--parley-color-accent);
        background: var(--parley-color-surface);
      }
      .link {
        border: 0;
        padding: 0;
        background: none;
        color: var(--parley-accent-text-derived, var(--parley-color-accent));
        text-decoration: underline;
      }
      .message {
        margin: 0;
        padding: var(--parley-space);
        border-radius: var(--parley-radius-small);
        background: var(--parley-color-surface);
      }
      .message.error {
        color: var(--parley-color-danger);
      }
      .preview {
        overflow: auto;
        max-block-size: 220px;
        border: 1px solid var(--parley-color-border);
        border-radius: var(--parley-radius-small);
      }
      table {
        border-collapse: collapse;
        font-size: 0.85em;
      }
      th,
      td {
        padding: 2px var(--parley-space);
        border-block-end: 1px solid var(--parley-color-border);
        text-align: start;
        white-space: nowrap;
      }
      .type {
        display: block;
        font-weight: normal;
        color: var(--parley-color-muted);
      }
      label {
        display: grid;
        gap: 2px;
        font-weight: 600;
      }
      textarea {
        min-block-size: 60px;
        padding: calc(var(--parley-space) / 2);
        border: 1px solid var(--parley-color-border);
        border-radius: var(--parley-radius-small);
        background: var(--parley-color-bg);
        font-weight: normal;
      }
      fieldset {
        margin: 0;
        padding: var(--parley-space);
        border: 1px solid var(--parley-color-border);
        border-radius: var(--parley-radius-small);
      }
      fieldset label {
        display: flex;
        gap: calc(var(--parley-space) / 2);
        align-items: center;
        font-weight: normal;
      }
      .row {
        display: flex;
        flex-wrap: wrap;
        gap: var(--parley-space);
        align-items: center;
      }
      progress {
        flex: 1;
        min-inline-size: 0;
        accent-color: var(--parley-color-accent);
      }
      .uploading {
        display: grid;
        gap: calc(var(--parley-space) / 2);
      }
      .progress-row {
        flex-wrap: nowrap;
      }
      .percent {
        min-inline-size: 4ch;
        text-align: end;
        font-variant-numeric: tabular-nums;
      }
      .after-upload {
        display: grid;
        gap: calc(var(--parley-space) / 2);
      }
      .suggestions {
        gap: calc(var(--parley-space) / 2);
      }
      .chip {
        inline-size: 100%;
        padding: calc(var(--parley-space) / 2) var(--parley-space);
        border: 1px solid var(--parley-color-border);
        border-radius: var(--parley-radius-small);
        background: var(--parley-color-surface);
        color: var(--parley-color-text);
        text-align: start;
      }
      .chip:hover {
        border-color: var(--parley-color-accent);
      }
      ul {
        list-style: none;
        margin: 0;
        padding: 0;
        display: grid;
        gap: 2px;
      }
      li {
        display: flex;
        align-items: center;
        justify-content: space-between;
        gap: var(--parley-space);
      }
      .name {
        overflow: hidden;
        text-overflow: ellipsis;
        white-space: nowrap;
      }
    `,
  ];

  api: ParleyApi | undefined;
  strings: ParleyStrings = { ...DEFAULT_STRINGS };
  canShare = false;
  contextKey = '';
  hooks: UploadPanelHooks | undefined;
  /** test seam: the XMLHttpRequest the upload uses */
  xhrFactory: (() => XMLHttpRequest) | undefined;
  step: UploadStep = 'choose';
  file: File | undefined;
  preview: FilePreview | undefined;
  notes = '';
  scope: DatasetScope = 'user';
  message: { kind: 'info' | 'error'; text: string } | undefined;
  /** after an upload: questions to ask about the file */
  suggestions: string[] = [];
  datasets: DatasetInfo[] = [];
  dragging = false;
  /** the upload itself (XHR with progress and abort) */
  readonly uploads: UploadsController;
  /** the list of my and my organisation's files */
  private readonly list: LoadController<DatasetInfo[]>;
  private readonly fileInput: Ref<HTMLInputElement> = createRef();
  private readAbort: AbortController | undefined;

  constructor() {
    super();
    this.uploads = new UploadsController(this, {
      base: () => this.api?.base ?? '',
      getToken: (signal) => this.requireApi().token(signal),
      refreshToken: (signal) => this.requireApi().freshToken(signal),
      xhr: () => (this.xhrFactory ? this.xhrFactory() : new XMLHttpRequest()),
    });
    this.list = new LoadController(this, {
      load: (signal) => this.requireApi().listDatasets(signal),
      ready: (list) => {
        this.datasets = list;
      },
      failed: (err) => this.showError(err),
    });
  }

  private requireApi(): ParleyApi {
    if (!this.api) throw new ApiError(0, 'not_configured', this.strings.errorNotConfigured);
    return this.api;
  }

  protected override willUpdate(changed: Map<PropertyKey, unknown>): void {
    if (changed.has('api') && this.api) void this.refresh();
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    this.readAbort?.abort();
  }

  /** Reloads the list of files. */
  async refresh(): Promise<void> {
    if (this.api) await this.list.run();
  }

  private showError(err: unknown): void {
    const text = err instanceof Error ? err.message : String(err);
    this.message = { kind: 'error', text };
    const code = err instanceof ApiError ? err.code : 'upload_failed';
    this.hooks?.error(code, text);
  }

  private refusal(check: Exclude<FileCheck, { ok: true }>): string {
    const s = this.strings;
    switch (check.reason) {
      case 'type':
        return s.fileTypeRefused;
      case 'size':
        return fmt(s.fileTooLarge, { size: formatBytes(check.size), max: formatBytes(check.max) });
      case 'empty':
        return s.fileEmpty;
      case 'content':
        return fmt(s.uploadNotText, { what: check.what });
      default:
        throw new Error(`unknown refusal ${String((check as { reason: string }).reason)}`);
    }
  }

  /** Takes a file (from the picker, a drop or a test): checks it, then reads its preview. Nothing is sent. */
  async chooseFile(file: File): Promise<FileCheck> {
    const check = checkFile(file, MAX_UPLOAD_BYTES);
    this.suggestions = [];
    if (!check.ok) {
      this.file = undefined;
      this.preview = undefined;
      this.step = 'choose';
      this.message = { kind: 'error', text: this.refusal(check) };
      this.hooks?.error(`file_${check.reason}`, this.message.text);
      return check;
    }
    this.readAbort?.abort();
    const abort = new AbortController();
    this.readAbort = abort;
    this.file = file;
    this.message = undefined;
    this.step = 'reading';
    try {
      // a binary renamed .csv is refused before anything is shown
      const binary = await sniffFile(file);
      if (abort.signal.aborted) return check;
      if (binary) {
        const refused: FileCheck = { ok: false, reason: 'content', what: binary };
        this.file = undefined;
        this.step = 'choose';
        this.message = { kind: 'error', text: this.refusal(refused) };
        this.hooks?.error('file_content', this.message.text);
        return refused;
      }
      const preview = await readPreview(file, check.kind);
      if (abort.signal.aborted) return check;
      this.preview = preview;
      this.step = 'preview';
    } catch (err) {
      if (abort.signal.aborted) return check;
      this.file = undefined;
      this.step = 'choose';
      this.message = {
        kind: 'error',
        text: fmt(this.strings.previewFailed, { reason: err instanceof Error ? err.message : String(err) }),
      };
    }
    return check;
  }

  private cancelChoice(): void {
    this.readAbort?.abort();
    this.file = undefined;
    this.preview = undefined;
    this.notes = '';
    this.step = 'choose';
  }

  /** Sends the chosen file with its notes and scope. */
  async confirm(): Promise<void> {
    const file = this.file;
    if (!file || this.step !== 'preview') return;
    this.step = 'uploading';
    this.message = undefined;
    try {
      const dataset = await this.uploads.upload({
        file,
        notes: this.notes.trim() || undefined,
        scope: this.canShare ? this.scope : 'user',
        ...(this.contextKey ? { contextKey: this.contextKey } : {}),
      });
      this.message = { kind: 'info', text: fmt(this.strings.uploaded, { filename: dataset.filename }) };
      // the server's columns (with their headers as written), else what the preview saw
      const columns = Array.isArray(dataset.columns) ? dataset.columns : (this.preview?.columns ?? []);
      this.suggestions = fileQuestions(dataset.filename, columns);
      this.cancelChoice();
      this.hooks?.uploaded(dataset);
      void this.refresh();
    } catch (err) {
      if (err instanceof DOMException && err.name === 'AbortError') {
        this.step = 'preview';
        return;
      }
      this.step = 'preview';
      this.showError(err);
    }
  }

  private async deleteFile(dataset: DatasetInfo): Promise<void> {
    if (!this.api) return;
    try {
      await this.api.deleteDataset(dataset);
      this.datasets = this.datasets.filter(
        (d) => !(d.scope === dataset.scope && d.filename === dataset.filename),
      );
    } catch (err) {
      this.showError(err);
    }
  }

  private onDrop(ev: DragEvent): void {
    ev.preventDefault();
    this.dragging = false;
    const file = ev.dataTransfer?.files?.[0];
    if (file) void this.chooseFile(file);
  }

  private onPicked(ev: Event): void {
    const input = ev.target as HTMLInputElement;
    const file = input.files?.[0];
    input.value = '';
    if (file) void this.chooseFile(file);
  }

  private renderPreview(): TemplateResult | typeof nothing {
    const p = this.preview;
    const file = this.file;
    if (!p || !file) return nothing;
    const s = this.strings;
    return html`<h3>${fmt(s.previewHeading, { filename: file.name })}</h3>
      <p class="muted">${s.detectedColumns}: ${p.columns.map((c) => `${c.name} (${c.type})`).join(', ')}</p>
      <div class="preview" part="preview" tabindex="0" role="region" aria-label=${fmt(s.previewHeading, { filename: file.name })}>
        <table>
          <thead>
            <tr>
              ${p.columns.map((c) => html`<th scope="col">${c.name}<span class="type">${c.type}</span></th>`)}
            </tr>
          </thead>
          <tbody>
            ${p.rows.map((r) => html`<tr>${r.map((cell) => html`<td>${cell}</td>`)}</tr>`)}
          </tbody>
        </table>
      </div>
      <label>
        ${s.notesLabel}
        <textarea
          .value=${this.notes}
          maxlength="2000"
          @input=${(e: Event) => {
            this.notes = (e.target as HTMLTextAreaElement).value;
          }}
        ></textarea>
      </label>
      ${
        this.canShare
          ? html`<fieldset>
            <legend>${s.scopeLabel}</legend>
            <label>
              <input
                type="radio"
                name="scope"
                value="user"
                .checked=${this.scope === 'user'}
                @change=${() => (this.scope = 'user')}
              />${s.scopeUser}
            </label>
            <label>
              <input
                type="radio"
                name="scope"
                value="context"
                .checked=${this.scope === 'context'}
                @change=${() => (this.scope = 'context')}
              />${s.scopeContext}
            </label>
          </fieldset>`
          : nothing
      }
      <div class="row">
        <button type="button" class="btn primary" @click=${() => this.confirm()}>
          ${icons.upload}${s.confirmUpload}
        </button>
        <button type="button" class="btn ghost" @click=${() => this.cancelChoice()}>${s.cancel}</button>
      </div>`;
  }

  /** While sending: only the file, the progress with its percentage and the stop button, so that they fit a short panel. */
  private renderUploading(file: File): TemplateResult {
    const s = this.strings;
    const percent = Math.round(this.uploads.progress * 100);
    const shown = fmt(s.uploadPercent, { percent });
    return html`<div class="uploading">
      <label for="upload-progress">${fmt(s.uploadProgress, { filename: file.name })}</label>
      <div class="row progress-row">
        <progress
          id="upload-progress"
          part="progress"
          max="100"
          value=${percent}
          aria-valuetext=${shown}
        ></progress>
        <span class="percent" aria-hidden="true">${shown}</span>
      </div>
      <div class="row">
        <button type="button" class="btn" @click=${() => this.uploads.abort()}>${s.abortUpload}</button>
      </div>
    </div>`;
  }

  /** After an upload: questions the file answers, and the way back to the chat. */
  private renderSuggestions(): TemplateResult | typeof nothing {
    const hooks = this.hooks;
    if (this.step !== 'choose' || this.message?.kind !== 'info' || !hooks) return nothing;
    const s = this.strings;
    const ask = hooks.ask;
    return html`<div class="after-upload">
      ${
        this.suggestions.length > 0 && ask
          ? html`<h3 id="ask-about-heading">${s.askAboutFile}</h3>
            <ul class="suggestions" aria-labelledby="ask-about-heading">
              ${this.suggestions.map(
                (q) => html`<li>
                  <button type="button" class="chip" @click=${() => ask(q)}>${q}</button>
                </li>`,
              )}
            </ul>`
          : nothing
      }
      ${
        hooks.back
          ? html`<div class="row">
            <button type="button" class="btn primary" @click=${() => hooks.back?.()}>${s.backToChat}</button>
          </div>`
          : nothing
      }
    </div>`;
  }

  private renderList(title: string, list: DatasetInfo[]): TemplateResult {
    const s = this.strings;
    return html`<h3>${title}</h3>
      ${
        list.length === 0
          ? html`<p class="muted">${s.noFiles}</p>`
          : html`<ul>
            ${list.map(
              (d) => html`<li>
                <span class="name">${d.filename}${d.size !== undefined ? html` <span class="muted">(${formatBytes(d.size)})</span>` : nothing}</span>
                <button
                  type="button"
                  class="btn ghost danger"
                  aria-label=${fmt(s.deleteFile, { filename: d.filename })}
                  title=${fmt(s.deleteFile, { filename: d.filename })}
                  @click=${() => this.deleteFile(d)}
                >
                  ${icons.trash}
                </button>
              </li>`,
            )}
          </ul>`
      }`;
  }

  protected override render() {
    const s = this.strings;
    let body: TemplateResult;
    switch (this.step) {
      case 'choose':
        body = html`<div
          class="dropzone ${this.dragging ? 'dragging' : ''}"
          part="dropzone"
          @dragover=${(e: DragEvent) => {
            e.preventDefault();
            this.dragging = true;
          }}
          @dragleave=${() => (this.dragging = false)}
          @drop=${(e: DragEvent) => this.onDrop(e)}
        >
          ${icons.upload}
          <span>${s.dropHere}</span>
          <button type="button" class="link" @click=${() => this.fileInput.value?.click()}>${s.chooseFile}</button>
          <input
            type="file"
            hidden
            aria-label=${s.chooseFile}
            accept=".csv,.json,text/csv,application/json"
            @change=${(e: Event) => this.onPicked(e)}
            ${ref(this.fileInput)}
          />
        </div>`;
        break;
      case 'reading':
        body = html`<p class="muted" role="status">${s.loading}</p>`;
        break;
      case 'preview':
        body = html`${this.renderPreview()}`;
        break;
      case 'uploading':
        body = this.file ? this.renderUploading(this.file) : html``;
        break;
      default:
        throw new Error(`unknown upload step ${String(this.step)}`);
    }
    const mine = this.datasets.filter((d) => d.scope === 'user');
    const shared = this.datasets.filter((d) => d.scope === 'context');
    return html`<section part="upload-panel" aria-labelledby="uploads-heading">
      <h2 id="uploads-heading">${s.uploads}</h2>
      ${
        this.message
          ? html`<p class="message ${this.message.kind}" role=${this.message.kind === 'error' ? 'alert' : 'status'}>
            ${this.message.text}
          </p>`
          : nothing
      }
      ${this.renderSuggestions()} ${body}
      ${this.list.status === 'loading' ? html`<p class="muted">${s.loading}</p>` : nothing}
      ${this.renderList(s.myFiles, mine)} ${this.renderList(s.sharedFiles, shared)}
    </section>`;
  }
}

defineElement('parley-upload-panel', ParleyUploadPanel);

declare global {
  interface HTMLElementTagNameMap {
    'parley-upload-panel': ParleyUploadPanel;
  }
}
