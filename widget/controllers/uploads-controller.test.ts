// @vitest-environment happy-dom
import { beforeEach, describe, expect, it } from 'vitest';
import { FakeXhr, fakeHost, microtasks } from '../../test/support/widget-fakes.ts';
import { ApiError } from '../api.ts';
import { checkFile, MAX_UPLOAD_BYTES, UploadError, UploadsController } from './uploads-controller.ts';

function fileOf(name: string, size: number, text = 'a,b\n1,2\n'): File {
  const f = new File([text], name, { type: 'text/plain' });
  Object.defineProperty(f, 'size', { value: size });
  return f;
}

describe('checkFile', () => {
  it('accepts .csv and .json (any case) up to 10 MB', () => {
    expect(checkFile({ name: 'orders.csv', size: 10 })).toEqual({ ok: true, kind: 'csv' });
    expect(checkFile({ name: 'ORDERS.JSON', size: MAX_UPLOAD_BYTES })).toEqual({ ok: true, kind: 'json' });
  });

  it('refuses other types, files over 10 MB and empty files', () => {
    expect(checkFile({ name: 'setup.exe', size: 10 })).toEqual({ ok: false, reason: 'type' });
    expect(checkFile({ name: 'data.zip', size: 10 })).toEqual({ ok: false, reason: 'type' });
    expect(checkFile({ name: 'data.csv.exe', size: 10 })).toEqual({ ok: false, reason: 'type' });
    expect(checkFile({ name: 'csv', size: 10 })).toEqual({ ok: false, reason: 'type' });
    expect(checkFile({ name: 'big.csv', size: MAX_UPLOAD_BYTES + 1 })).toMatchObject({
      ok: false,
      reason: 'size',
    });
    expect(checkFile({ name: 'empty.csv', size: 0 })).toEqual({ ok: false, reason: 'empty' });
  });
});

describe('UploadsController', () => {
  beforeEach(() => {
    FakeXhr.instances = [];
  });

  function controller() {
    return new UploadsController(fakeHost(), {
      base: () => 'https://bff.example.com/widget/v1',
      getToken: async () => 'tok-1',
      refreshToken: async () => 'tok-2',
      xhr: () => new FakeXhr() as unknown as XMLHttpRequest,
    });
  }

  it('refuses .exe, .zip and files over 10 MB before sending anything', async () => {
    const c = controller();
    for (const f of [
      fileOf('tool.exe', 100),
      fileOf('data.zip', 100),
      fileOf('big.csv', MAX_UPLOAD_BYTES + 1),
    ]) {
      await expect(c.upload({ file: f, scope: 'user' })).rejects.toBeInstanceOf(UploadError);
      expect(c.status).toBe('error');
    }
    expect(FakeXhr.instances).toHaveLength(0);
  });

  it('sends multipart with the bearer token, reports progress and resolves with the dataset', async () => {
    const c = controller();
    const file = fileOf('orders.csv', 2000);
    const done = c.upload({ file, notes: 'Q1 orders', scope: 'context', contextKey: 'org' });
    await microtasks();
    const xhr = FakeXhr.instances[0] as FakeXhr;
    expect(xhr.method).toBe('POST');
    expect(xhr.url).toBe('https://bff.example.com/widget/v1/datasets');
    expect(xhr.headers.authorization).toBe('Bearer tok-1');
    const form = xhr.body as FormData;
    expect(form.get('scope')).toBe('context');
    expect(form.get('notes')).toBe('Q1 orders');
    expect(form.get('contextKey')).toBe('org');
    expect((form.get('file') as File).name).toBe('orders.csv');
    expect(c.status).toBe('uploading');
    xhr.progress(500, 2000);
    expect(c.progress).toBe(0.25);
    xhr.respond(201, { scope: 'context', filename: 'orders.csv', size: 2000 });
    await expect(done).resolves.toMatchObject({ scope: 'context', filename: 'orders.csv' });
    expect(c.status).toBe('done');
    expect(c.progress).toBe(1);
  });

  it('shows the server refusal as an ApiError with its message', async () => {
    const c = controller();
    const done = c.upload({ file: fileOf('orders.csv', 10), scope: 'user' });
    await microtasks();
    (FakeXhr.instances[0] as FakeXhr).respond(413, {
      error: { code: 'file_too_large', message: 'Files are limited to 10 MB.' },
    });
    const err = await done.catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect(err).toMatchObject({
      status: 413,
      code: 'file_too_large',
      message: 'Files are limited to 10 MB.',
    });
    expect(c.error).toEqual({ code: 'file_too_large', message: 'Files are limited to 10 MB.' });
  });

  it('retries once with a fresh token after a 401', async () => {
    const c = controller();
    const done = c.upload({ file: fileOf('orders.csv', 10), scope: 'user' });
    await microtasks();
    (FakeXhr.instances[0] as FakeXhr).respond(401, { error: { code: 'token_expired', message: 'expired' } });
    await microtasks();
    const second = FakeXhr.instances[1] as FakeXhr;
    expect(second.headers.authorization).toBe('Bearer tok-2');
    second.respond(201, { scope: 'user', filename: 'orders.csv' });
    await expect(done).resolves.toMatchObject({ filename: 'orders.csv' });
  });

  it('aborts: the XHR is aborted and the promise rejects with AbortError', async () => {
    const c = controller();
    const done = c.upload({ file: fileOf('orders.csv', 10), scope: 'user' });
    await microtasks();
    c.abort();
    const err = await done.catch((e: unknown) => e);
    expect((err as DOMException).name).toBe('AbortError');
    expect((FakeXhr.instances[0] as FakeXhr).aborted).toBe(true);
    expect(c.status).toBe('aborted');
  });

  it('aborts through an AbortSignal', async () => {
    const c = controller();
    const abort = new AbortController();
    const done = c.upload({ file: fileOf('orders.csv', 10), scope: 'user' }, abort.signal);
    await microtasks();
    abort.abort();
    await expect(done).rejects.toMatchObject({ name: 'AbortError' });
  });
});
