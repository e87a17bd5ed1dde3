// Upload limits over HTTP: past a user's rate or concurrency the upload is refused with 429 and Retry-After before
// its body is read, nothing is stored, and other users are not affected.
import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DatasetsTestServer, startDatasetsTestServer } from '../../test/support/datasets-app.ts';

let server: DatasetsTestServer;

beforeAll(async () => {
  server = await startDatasetsTestServer({ settings: { uploadsPerMinute: 3, concurrentUploads: 1 } });
});

afterAll(async () => {
  await server?.close();
});

const upload = async (user: string, name: string) => {
  const form = new FormData();
  form.append('file', new Blob(['a,b\n1,2\n'], { type: 'text/csv' }), name);
  const res = await fetch(`${server.url}/widget/v1/datasets`, {
    method: 'POST',
    headers: { authorization: `Bearer ${server.token(user, 1)}` },
    body: form,
  });
  return {
    status: res.status,
    retryAfter: res.headers.get('retry-after'),
    body: (await res.json()) as never,
  };
};

describe('per-user upload limits', () => {
  it('refuses the upload past the rate with 429 and Retry-After, storing nothing; others go on', async () => {
    for (const name of ['a.csv', 'b.csv', 'c.csv'])
      expect((await upload('rate_user', name)).status).toBe(201);
    const files = await server.fileRows();
    const refused = await upload('rate_user', 'd.csv');
    expect(refused.status).toBe(429);
    expect(refused.body).toMatchObject({ error: { code: 'rate_limited', message: expect.any(String) } });
    expect(Number(refused.retryAfter)).toBeGreaterThanOrEqual(1);
    expect(Number(refused.retryAfter)).toBeLessThanOrEqual(60);
    expect(await server.fileRows()).toBe(files);
    expect((await upload('other_user', 'a.csv')).status).toBe(201);
  });

  it('refuses a second upload of the same user while the first is still being sent', async () => {
    const url = new URL(`${server.url}/widget/v1/datasets`);
    const boundary = 'slowboundary';
    const head = `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="slow.csv"\r\nContent-Type: text/csv\r\n\r\na\n`;
    const tail = `1\n\r\n--${boundary}--\r\n`;
    const first = http.request(url, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${server.token('slow_user', 1)}`,
        'content-type': `multipart/form-data; boundary=${boundary}`,
        'content-length': String(Buffer.byteLength(head) + Buffer.byteLength(tail)),
      },
    });
    const done = new Promise<number>((resolve, reject) => {
      first.on('response', (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      first.on('error', reject);
    });
    first.write(head);
    // the first upload is admitted once its headers arrive; wait until the server holds it
    await new Promise((r) => setTimeout(r, 300));
    const second = await upload('slow_user', 'other.csv');
    expect(second.status).toBe(429);
    expect(second.retryAfter).toBe('2');
    first.end(tail);
    expect(await done).toBe(201);
    // the place is free again once the first is answered
    await expect.poll(async () => (await upload('slow_user', 'after.csv')).status).toBe(201);
  });
});
