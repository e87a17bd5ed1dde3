// Upload limits over HTTP: size (413), content (415), names (400), multipart shape (400), quotas (409),
// malformed files (422), and uploads that fail or are aborted store nothing.
import net from 'node:net';
import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DatasetsTestServer, startDatasetsTestServer } from '../../test/support/datasets-app.ts';
import { sharedMemoryStorage } from './http.ts';

let server: DatasetsTestServer;

beforeAll(async () => {
  server = await startDatasetsTestServer({
    settings: { quotas: { user: { files: 2, bytes: 11 * 1024 * 1024 } }, uploadsPerMinute: 1000 },
  });
});

afterAll(async () => {
  await server?.close();
});

/** the tenant of the test user's files (the demo agent is multi-tenant), as the host API takes it */
const TENANT = `?userContext=${encodeURIComponent('{"organisationId":1}')}`;
const USER_URL = (rest = '') => `${server.url}/api/v1/agents/demo/datasets/user/limits_user${rest}${TENANT}`;

interface Part {
  name: string;
  filename?: string;
  /** a raw Content-Disposition parameter list instead of filename="..." */
  rawDisposition?: string;
  body: Buffer | string;
}

const BOUNDARY = 'parleyboundary7MA4YWxkTrZu0gW';

function multipart(parts: Part[]): Buffer {
  const chunks: Buffer[] = [];
  for (const p of parts) {
    const disposition =
      p.rawDisposition ??
      `form-data; name="${p.name}"${p.filename !== undefined ? `; filename="${p.filename}"` : ''}`;
    const type =
      p.filename !== undefined || p.rawDisposition !== undefined ? 'Content-Type: text/csv\r\n' : '';
    chunks.push(Buffer.from(`--${BOUNDARY}\r\nContent-Disposition: ${disposition}\r\n${type}\r\n`));
    chunks.push(Buffer.isBuffer(p.body) ? p.body : Buffer.from(p.body));
    chunks.push(Buffer.from('\r\n'));
  }
  chunks.push(Buffer.from(`--${BOUNDARY}--\r\n`));
  return Buffer.concat(chunks);
}

async function post(
  parts: Part[],
  url = USER_URL(),
): Promise<{
  status: number;
  body: { error?: { code: string; message: string } } & Record<string, unknown>;
}> {
  const res = await fetch(url, {
    method: 'POST',
    headers: {
      authorization: `Bearer ${server.apiKey}`,
      'content-type': `multipart/form-data; boundary=${BOUNDARY}`,
    },
    body: new Uint8Array(multipart(parts)),
  });
  return { status: res.status, body: (await res.json()) as never };
}

const csvFile = (filename: string, body: Buffer | string = 'a,b\n1,2\n'): Part => ({
  name: 'file',
  filename,
  body,
});

async function listed(): Promise<string[]> {
  const res = await fetch(USER_URL(), { headers: { authorization: `Bearer ${server.apiKey}` } });
  return ((await res.json()) as { files: string[] }).files;
}

describe('size', () => {
  it('accepts a file of exactly 10 MB and refuses one byte more with 413, storing nothing', async () => {
    const MB10 = 10 * 1024 * 1024;
    const row = `${'x'.repeat(99)}\n`;
    const head = 'payload\n';
    const rows = Math.floor((MB10 - head.length) / row.length);
    const pad = MB10 - head.length - rows * row.length;
    const exact = Buffer.from(head + row.repeat(rows - 1) + `${'y'.repeat(99 + pad)}\n`);
    expect(exact.length).toBe(MB10);
    const ok = await post([csvFile('big.csv', exact)]);
    expect(ok.status).toBe(200);
    expect(ok.body).toMatchObject({ file: { name: 'big.csv', size: MB10 } });
    const blobs = await server.blobRows();

    const over = await post([csvFile('bigger.csv', Buffer.concat([exact, Buffer.from('z')]))]);
    expect(over.status).toBe(413);
    expect(over.body.error?.code).toBe('limit_file_size');
    expect(await server.blobRows()).toBe(blobs);
    expect(await listed()).toEqual(['big.csv']);
    const res = await fetch(USER_URL(`/big.csv`), {
      method: 'DELETE',
      headers: { authorization: `Bearer ${server.apiKey}` },
    });
    expect(res.status).toBe(200);
    expect(await server.blobRows()).toBe(0);
  });

  it('accepts a narrow 10 MB CSV of about 650,000 rows (rows are bounded by the file size alone)', async () => {
    const lines = ['month,units'];
    let size = lines[0]?.length ?? 0;
    const months = ['2026-01', '2026-02', '2026-03', '2026-04'];
    for (let i = 0; size < 10 * 1024 * 1024 - 32; i += 1) {
      const line = `${months[i % 4]},${i % 10}`;
      lines.push(line);
      size += line.length + 1;
    }
    const text = `${lines.join('\n')}\n`;
    expect(lines.length - 1).toBeGreaterThan(650_000);
    const ok = await post([csvFile('narrow.csv', text)]);
    expect([ok.status, ok.body.error]).toEqual([200, undefined]);
    const widget = await fetch(`${server.url}/widget/v1/datasets`, {
      headers: { authorization: `Bearer ${server.token('limits_user', 1)}` },
    });
    const listed = (await widget.json()) as {
      datasets: Array<{ name: string; rowCount: number; columns: unknown[] }>;
    };
    const narrow = listed.datasets.find((d) => d.name === 'narrow.csv');
    expect(narrow?.rowCount).toBe(lines.length - 1);
    expect(narrow?.columns).toEqual([
      { name: 'month', header: 'month', type: 'date' },
      { name: 'units', header: 'units', type: 'number' },
    ]);
    await fetch(USER_URL('/narrow.csv'), {
      method: 'DELETE',
      headers: { authorization: `Bearer ${server.apiKey}` },
    });
  });
});

describe('agent-less routes without a way to choose the agent', () => {
  it('answer 400 agent_required for a key of every agent when no datasets.defaultAgent is set', async () => {
    const res = await fetch(`${server.url}/api/v1/datasets/user/limits_user${TENANT}`, {
      headers: { authorization: `Bearer ${server.apiKey}` },
    });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('agent_required');
  });
});

describe('content', () => {
  it('refuses ZIP, gzip, PDF, PNG and HTML content named .csv or .json with 415', async () => {
    const samples: Array<[string, Buffer]> = [
      [
        'book.csv',
        Buffer.concat([Buffer.from('PK\x03\x04\x14\x00\x06\x00\x08\x00', 'latin1'), Buffer.alloc(200, 0x41)]),
      ],
      ['data.csv', Buffer.from([0x1f, 0x8b, 0x08, 0x00, 0, 0, 0, 0, 0, 0x03, 0x4b, 0x4c])],
      ['doc.json', Buffer.from('%PDF-1.4\n1 0 obj\n<<>>\nendobj\n')],
      [
        'img.json',
        Buffer.from([
          0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 0x0d, 0x49, 0x48, 0x44, 0x52, 0, 0, 0, 1,
        ]),
      ],
      ['page.csv', Buffer.from('<!doctype html>\n<html><body>a,b</body></html>')],
      ['page2.csv', Buffer.from('\n  <HTML><script>alert(1)</script>')],
      ['x.json', Buffer.from('<script>fetch("/")</script>')],
    ];
    for (const [filename, body] of samples) {
      const res = await post([csvFile(filename, body)]);
      expect([filename, res.status, res.body.error?.code]).toEqual([filename, 415, 'unsupported_media_type']);
    }
    const ext = await post([csvFile('data.xlsx')]);
    expect([ext.status, ext.body.error?.code]).toEqual([415, 'unsupported_file_type']);
    expect(await listed()).toEqual([]);
  });

  it('refuses malformed files with 422 and the line and column of the first problem', async () => {
    const csv = await post([csvFile('bad.csv', 'a,b,c\n1,2,3\n4,5,6,7\n')]);
    expect(csv.status).toBe(422);
    expect(csv.body.error).toEqual({
      code: 'malformed_file',
      message: 'line 3, column 4: expected 3 fields like the header, found 4',
    });
    const json = await post([csvFile('bad.json', '[\n  {"a": 1}\n  {"a": 2}\n]')]);
    expect(json.status).toBe(422);
    expect(json.body.error?.message).toMatch(/^line 3, column 3: /);
    expect(await server.blobRows()).toBe(0);
  });
});

describe('filenames', () => {
  it('refuses path separators, NUL and control characters, dot names and names over 255 bytes with 400', async () => {
    const names = [
      '../x.csv',
      '..\\x.csv',
      'a/b.csv',
      '..',
      '.',
      `${'n'.repeat(252)}.csv`,
      `${'é'.repeat(126)}.csv`,
    ];
    for (const filename of names) {
      const res = await post([csvFile(filename)]);
      expect([filename, res.status, res.body.error?.code]).toEqual([filename, 400, 'invalid_filename']);
    }
    // RFC 5987 names decode to the raw characters: NUL and newline inside, or a path
    for (const encoded of [
      'a%00.csv',
      'a%0Ab.csv',
      '..%2Fx.csv',
      'evil%E2%80%AEgnp.csv',
      'a%E2%81%A6b.csv',
    ]) {
      const res = await post([
        {
          name: 'file',
          rawDisposition: `form-data; name="file"; filename*=UTF-8''${encoded}`,
          body: 'a\n1\n',
        },
      ]);
      expect([encoded, res.status, res.body.error?.code]).toEqual([encoded, 400, 'invalid_filename']);
    }
    // a raw control character in the part header is a malformed multipart body: also 400
    const raw = await post([csvFile('a\u0000.csv')]);
    expect(raw.status).toBe(400);
    // 255 bytes is fine
    const ok = await post([csvFile(`${'n'.repeat(251)}.csv`)]);
    expect(ok.status).toBe(200);
    await fetch(USER_URL(`/${'n'.repeat(251)}.csv`), {
      method: 'DELETE',
      headers: { authorization: `Bearer ${server.apiKey}` },
    });
    expect(await listed()).toEqual([]);
  });
});

describe('multipart shape', () => {
  it('allows one file, a few short fields and the file in "file" only (400 otherwise)', async () => {
    const two = await post([csvFile('a.csv'), csvFile('b.csv')]);
    expect([two.status, two.body.error?.code]).toEqual([400, 'limit_file_count']);
    const fields = await post([
      ...Array.from({ length: 6 }, (_, i) => ({ name: `f${i}`, body: 'x' })),
      csvFile('a.csv'),
    ]);
    expect([fields.status, fields.body.error?.code]).toEqual([400, 'limit_field_count']);
    const longNotes = await post([{ name: 'notes', body: 'x'.repeat(4097) }, csvFile('a.csv')]);
    expect([longNotes.status, longNotes.body.error?.code]).toEqual([400, 'limit_field_value']);
    const otherField = await post([{ name: 'upload', filename: 'a.csv', body: 'a\n1\n' }]);
    expect([otherField.status, otherField.body.error?.code]).toEqual([400, 'limit_unexpected_file']);
    const none = await post([{ name: 'notes', body: 'hello' }]);
    expect([none.status, none.body.error?.code]).toEqual([400, 'invalid_request']);
    const repeated = await post([
      { name: 'notes', body: 'a' },
      { name: 'notes', body: 'b' },
      csvFile('a.csv'),
    ]);
    expect(repeated.status).toBe(400);
    const json = await fetch(USER_URL(), {
      method: 'POST',
      headers: { authorization: `Bearer ${server.apiKey}`, 'content-type': 'application/json' },
      body: '{"file":"a,b"}',
    });
    expect(json.status).toBe(400);
    const truncated = await fetch(USER_URL(), {
      method: 'POST',
      headers: {
        authorization: `Bearer ${server.apiKey}`,
        'content-type': `multipart/form-data; boundary=${BOUNDARY}`,
      },
      body: new Uint8Array(multipart([csvFile('a.csv')]).subarray(0, 120)),
    });
    expect(truncated.status).toBe(400);
    expect(await listed()).toEqual([]);
    expect(await server.blobRows()).toBe(0);
  });

  it('checks the API key before reading the body', async () => {
    const res = await fetch(USER_URL(), {
      method: 'POST',
      headers: {
        authorization: 'Bearer pk_wrong_key_0123456789abc',
        'content-type': `multipart/form-data; boundary=${BOUNDARY}`,
      },
      body: new Uint8Array(multipart([csvFile('a.csv')])),
    });
    expect(res.status).toBe(401);
  });
});

describe('quotas', () => {
  it('refuses a third file in a scope limited to two with 409 quota_exceeded', async () => {
    const url = `${server.url}/api/v1/agents/demo/datasets/user/quota_user${TENANT}`;
    expect((await post([csvFile('1.csv')], url)).status).toBe(200);
    expect((await post([csvFile('2.csv')], url)).status).toBe(200);
    const third = await post([csvFile('3.csv')], url);
    expect([third.status, third.body.error?.code]).toEqual([409, 'quota_exceeded']);
    expect((await post([csvFile('2.csv', 'a\n9\n')], url)).status).toBe(200);
  });
});

describe('aborted uploads', () => {
  it('a client that disconnects mid-upload leaves no file and no bytes', async () => {
    const files = await server.fileRows();
    const blobs = await server.blobRows();
    const body = multipart([csvFile('aborted.csv', `a\n${'1\n'.repeat(400_000)}`)]);
    const { port } = new URL(server.url);
    await new Promise<void>((resolve, reject) => {
      const socket = net.connect(Number(port), '127.0.0.1', () => {
        socket.write(
          `POST /api/v1/agents/demo/datasets/user/limits_user${TENANT} HTTP/1.1\r\nHost: 127.0.0.1\r\n` +
            `Authorization: Bearer ${server.apiKey}\r\nContent-Type: multipart/form-data; boundary=${BOUNDARY}\r\n` +
            `Content-Length: ${body.length}\r\n\r\n`,
        );
        socket.write(body.subarray(0, Math.floor(body.length / 2)), () => {
          setTimeout(() => {
            socket.destroy();
            resolve();
          }, 50);
        });
      });
      socket.on('error', reject);
    });
    await new Promise((r) => setTimeout(r, 200));
    expect(await server.fileRows()).toBe(files);
    expect(await server.blobRows()).toBe(blobs);
    expect(await listed()).not.toContain('aborted.csv');
  });
});

describe('sharedMemoryStorage', () => {
  const store = (headers: Record<string, string>, chunks: Buffer[]) =>
    new Promise<{ buffer?: Buffer; size?: number }>((resolve, reject) => {
      const stream = new PassThrough();
      sharedMemoryStorage(1024 * 1024)._handleFile(
        { headers } as never,
        { stream } as never,
        (err?: unknown, info?: { buffer?: Buffer; size?: number }) =>
          err ? reject(err) : resolve(info ?? {}),
      );
      for (const c of chunks) stream.write(c);
      stream.end();
    });

  it('keeps the file in shared memory, sized by Content-Length or grown when there is none', async () => {
    const chunks = Array.from({ length: 40 }, (_, i) => Buffer.alloc(5000, i));
    const whole = Buffer.concat(chunks);
    const declared: Array<Record<string, string>> = [
      { 'content-length': String(whole.length + 300) },
      {},
      { 'content-length': '10' },
    ];
    for (const headers of declared) {
      const { buffer, size } = await store(headers, chunks);
      expect(size).toBe(whole.length);
      expect(buffer?.equals(whole)).toBe(true);
      expect(buffer?.buffer).toBeInstanceOf(SharedArrayBuffer);
    }
    const empty = await store({}, []);
    expect(empty.size).toBe(0);
  });
});
