// @vitest-environment happy-dom
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FakeXhr, fakeFetch, settle } from '../../test/support/widget-fakes.ts';
import { ParleyApi } from '../api.ts';
import { MAX_UPLOAD_BYTES } from '../controllers/uploads-controller.ts';
import { guessType, parseCsv, previewCsv, previewJson } from './preview.ts';
import './upload-panel.ts';
import type { ParleyUploadPanel } from './upload-panel.ts';

describe('preview parsing', () => {
  it('parses quoted CSV fields with commas, quotes and line breaks', () => {
    expect(parseCsv('a,b\n"x, y","say ""hi"""\n"two\nlines",3\r\n')).toEqual([
      ['a', 'b'],
      ['x, y', 'say "hi"'],
      ['two\nlines', '3'],
    ]);
  });

  it('detects ; and tab delimiters and strips a BOM', () => {
    expect(parseCsv('\uFEFFa;b\n1;2')).toEqual([
      ['a', 'b'],
      ['1', '2'],
    ]);
    expect(parseCsv('a\tb\n1\t2')).toEqual([
      ['a', 'b'],
      ['1', '2'],
    ]);
  });

  it('drops a record cut off by a partial read', () => {
    expect(parseCsv('a,b\n1,2\n3,"unfinish', 21, false)).toEqual([
      ['a', 'b'],
      ['1', '2'],
    ]);
  });

  it('previews at most 20 rows with guessed column types', () => {
    const lines = ['day,amount,paid,note'];
    for (let i = 0; i < 30; i += 1)
      lines.push(`2025-01-${String(i + 1).padStart(2, '0')},${i * 1.5},${i % 2 === 0},n${i}`);
    const p = previewCsv(lines.join('\n'));
    expect(p.rows).toHaveLength(20);
    expect(p.columns).toEqual([
      { name: 'day', type: 'date' },
      { name: 'amount', type: 'number' },
      { name: 'paid', type: 'boolean' },
      { name: 'note', type: 'string' },
    ]);
    expect(guessType(['', ' '])).toBe('string');
  });

  it('previews JSON arrays of objects (or { rows: [...] })', () => {
    const p = previewJson(
      JSON.stringify({
        rows: [
          { a: 1, b: 'x' },
          { a: 2, c: true },
        ],
      }),
    );
    expect(p.columns).toEqual([
      { name: 'a', type: 'number' },
      { name: 'b', type: 'string' },
      { name: 'c', type: 'boolean' },
    ]);
    expect(p.rows).toEqual([
      ['1', 'x', ''],
      ['2', '', 'true'],
    ]);
    expect(() => previewJson('{"a":1}')).toThrow(/array of objects/);
  });
});

describe('<parley-upload-panel>', () => {
  let panel: ParleyUploadPanel;
  let fetchCalls: ReturnType<typeof fakeFetch>['calls'];

  beforeEach(async () => {
    FakeXhr.instances = [];
    const { fetch, calls } = fakeFetch({
      'GET /widget/v1/datasets': {
        body: {
          items: [
            { scope: 'user', filename: 'mine.csv', size: 2048 },
            { scope: 'context', filename: 'shared.json', size: 10 },
          ],
        },
      },
      'DELETE /widget/v1/datasets/user/mine.csv': { status: 204 },
    });
    fetchCalls = calls;
    panel = document.createElement('parley-upload-panel');
    panel.api = new ParleyApi({
      server: () => 'https://bff.example.com',
      getToken: async () => 'tok',
      refreshToken: async () => 'tok',
      fetch,
    });
    panel.xhrFactory = () => new FakeXhr() as unknown as XMLHttpRequest;
    document.body.append(panel);
    await settle();
  });

  afterEach(() => {
    document.body.innerHTML = '';
  });

  const text = () => panel.shadowRoot?.textContent?.replace(/\s+/g, ' ') ?? '';

  it('lists my files and my organisation’s files, and deletes', async () => {
    expect(text()).toContain('mine.csv');
    expect(text()).toContain('shared.json');
    const del = panel.shadowRoot?.querySelector<HTMLButtonElement>('button[aria-label="Delete mine.csv"]');
    del?.click();
    await settle();
    expect(fetchCalls.some((c) => c.method === 'DELETE' && c.url.endsWith('/datasets/user/mine.csv'))).toBe(
      true,
    );
    expect(text()).not.toContain('mine.csv');
  });

  it('refuses .exe/.zip and files over 10 MB in the browser, with a clear message, sending nothing', async () => {
    for (const [name, size] of [
      ['tool.exe', 10],
      ['archive.zip', 10],
      ['huge.csv', MAX_UPLOAD_BYTES + 1],
    ] as const) {
      const file = new File(['x'], name);
      Object.defineProperty(file, 'size', { value: size });
      const check = await panel.chooseFile(file);
      expect(check.ok).toBe(false);
      await panel.updateComplete;
      const alert = panel.shadowRoot?.querySelector('[role="alert"]')?.textContent ?? '';
      expect(alert).toMatch(size > MAX_UPLOAD_BYTES ? /limit is 10 MB/ : /Only \.csv and \.json/);
    }
    expect(FakeXhr.instances).toHaveLength(0);
  });

  it('refuses a program renamed .csv in plain words, before any preview, sending nothing', async () => {
    const exe = new Uint8Array([0x4d, 0x5a, 0x90, 0x00, 0x03, 0x00, 0x00, 0x00, 0x04, 0x00]);
    for (const [bytes, what] of [
      [exe, 'a Windows program'],
      [new Uint8Array([0x50, 0x4b, 0x03, 0x04, 0x14, 0x00]), 'a ZIP archive (an Excel workbook is one)'],
      [new Uint8Array([0x61, 0x2c, 0x62, 0x0a, 0x00, 0x01, 0x02]), 'a binary file'],
    ] as const) {
      const check = await panel.chooseFile(new File([bytes], 'orders.csv'));
      expect(check).toEqual({ ok: false, reason: 'content', what });
      await panel.updateComplete;
      const alert = panel.shadowRoot?.querySelector('[role="alert"]')?.textContent ?? '';
      expect(alert).toContain(`This file is ${what}, not a CSV or JSON file.`);
      expect(panel.shadowRoot?.querySelector('[part~="preview"]')).toBeNull();
    }
    expect(FakeXhr.instances).toHaveLength(0);
  });

  it('previews a CSV before sending; the upload shows progress and refreshes the list', async () => {
    await panel.chooseFile(new File(['name,amount\nAcme,12\nGlobex,7\n'], 'orders.csv'));
    await panel.updateComplete;
    expect(panel.step).toBe('preview');
    expect(text()).toContain('Detected columns: name (string), amount (number)');
    expect(panel.shadowRoot?.querySelectorAll('.preview tbody tr')).toHaveLength(2);
    expect(FakeXhr.instances).toHaveLength(0);
    // no context permission: no scope choice
    expect(panel.shadowRoot?.querySelector('fieldset')).toBeNull();
    const done = panel.confirm();
    await settle();
    const xhr = FakeXhr.instances[0] as FakeXhr;
    xhr.progress(50, 100);
    await panel.updateComplete;
    expect(panel.shadowRoot?.querySelector('progress')?.getAttribute('value')).toBe('50');
    xhr.respond(201, { scope: 'user', filename: 'orders.csv' });
    await done;
    await settle();
    expect(text()).toContain('Uploaded orders.csv.');
    expect(panel.step).toBe('choose');
  });

  it('while sending shows the percentage and the stop button without the preview; then questions about the file', async () => {
    const asked: string[] = [];
    let back = 0;
    panel.hooks = {
      uploaded: () => {},
      error: () => {},
      ask: (q) => {
        asked.push(q);
        return true;
      },
      back: () => {
        back += 1;
      },
    };
    await panel.chooseFile(new File(['month,region,target_usd\n2026-01-01,North,12\n'], 'sales_targets.csv'));
    await panel.updateComplete;
    const done = panel.confirm();
    await settle();
    const xhr = FakeXhr.instances[0] as FakeXhr;
    xhr.progress(37, 100);
    await panel.updateComplete;
    const root = panel.shadowRoot as ShadowRoot;
    expect(root.querySelector('.percent')?.textContent).toBe('37%');
    expect(root.querySelector('progress')?.getAttribute('aria-valuetext')).toBe('37%');
    // a short panel keeps the stop button in view: nothing tall is shown above or beside it
    expect(root.querySelector('[part~="preview"]')).toBeNull();
    expect(root.querySelector('textarea')).toBeNull();
    expect([...root.querySelectorAll('button')].map((b) => b.textContent?.trim())).toContain('Stop upload');
    // the server's headers, as written, name the columns
    xhr.respond(201, {
      dataset: {
        name: 'sales_targets.csv',
        scope: 'user',
        columns: [
          { name: 'month', header: 'Month', type: 'date' },
          { name: 'region', header: 'Region', type: 'string' },
          { name: 'target_usd', header: 'Target USD', type: 'number' },
        ],
      },
    });
    await done;
    await settle();
    const chips = [...root.querySelectorAll<HTMLButtonElement>('.suggestions button')];
    expect(chips.map((b) => b.textContent?.trim())).toEqual([
      'What is the total target usd by month in my sales targets file?',
      'What is the total target usd by region in my sales targets file?',
    ]);
    chips[1]?.click();
    expect(asked).toEqual(['What is the total target usd by region in my sales targets file?']);
    [...root.querySelectorAll<HTMLButtonElement>('button')]
      .find((b) => b.textContent?.trim() === 'Back to the chat')
      ?.click();
    expect(back).toBe(1);
    // choosing another file puts the questions away
    await panel.chooseFile(new File(['a,b\n1,2\n'], 'other.csv'));
    await panel.updateComplete;
    expect(root.querySelector('.suggestions')).toBeNull();
  });

  it('offers the scope only with datasets:context:write, and shows server refusals', async () => {
    panel.canShare = true;
    await panel.chooseFile(new File(['[{"a":1}]'], 'data.json'));
    await panel.updateComplete;
    const radios = panel.shadowRoot?.querySelectorAll<HTMLInputElement>('input[type="radio"]');
    expect(radios).toHaveLength(2);
    radios?.[1]?.dispatchEvent(new Event('change'));
    const done = panel.confirm();
    await settle();
    const xhr = FakeXhr.instances[0] as FakeXhr;
    expect((xhr.body as FormData).get('scope')).toBe('context');
    xhr.respond(422, { error: { code: 'invalid_file', message: 'The file has no header row.' } });
    await done;
    await panel.updateComplete;
    expect(panel.shadowRoot?.querySelector('[role="alert"]')?.textContent).toContain(
      'The file has no header row.',
    );
  });
});
