import { describe, expect, it, vi } from 'vitest';
import { fakeHost } from '../../test/support/widget-fakes.ts';
import { LoadController } from './load-controller.ts';

/** A load the test settles by hand, recording the signal it was given. */
function deferredLoads<T>() {
  const pending: { signal: AbortSignal; resolve(v: T): void; reject(e: unknown): void }[] = [];
  const load = (signal: AbortSignal) =>
    new Promise<T>((resolve, reject) => {
      pending.push({ signal, resolve, reject });
    });
  return { load, pending };
}

describe('LoadController', () => {
  it('goes loading then ready, applies the value and asks the host to render each change', async () => {
    const host = fakeHost();
    const { load, pending } = deferredLoads<string>();
    const ready = vi.fn();
    const c = new LoadController(host, { load, ready, failed: vi.fn() });
    expect(c.status).toBe('idle');
    const run = c.run();
    expect(c.status).toBe('loading');
    pending[0]?.resolve('config');
    await run;
    expect(ready).toHaveBeenCalledWith('config');
    expect(c.status).toBe('ready');
    expect(host.updates).toBe(2);
  });

  it('a new load aborts the one before it, whose late value is dropped', async () => {
    const { load, pending } = deferredLoads<string>();
    const ready = vi.fn();
    const c = new LoadController(fakeHost(), { load, ready, failed: vi.fn() });
    const first = c.run();
    const second = c.run();
    expect(pending[0]?.signal.aborted).toBe(true);
    pending[1]?.resolve('new');
    pending[0]?.resolve('old');
    await Promise.all([first, second]);
    expect(ready.mock.calls).toEqual([['new']]);
    expect(c.status).toBe('ready');
  });

  it('passes its arguments to load and ready', async () => {
    const load = vi.fn(async (_signal: AbortSignal, more: boolean) => (more ? ['b'] : ['a']));
    const ready = vi.fn();
    const c = new LoadController<string[], [boolean]>(fakeHost(), { load, ready, failed: vi.fn() });
    await c.run(true);
    expect(ready).toHaveBeenCalledWith(['b'], true);
  });

  it('a failure sets error and reports it; an abort is not a failure', async () => {
    const { load, pending } = deferredLoads<string>();
    const failed = vi.fn();
    const c = new LoadController(fakeHost(), { load, ready: vi.fn(), failed });
    const run = c.run();
    pending[0]?.reject(new Error('HTTP 500'));
    await run;
    expect(c.status).toBe('error');
    expect(failed).toHaveBeenCalledWith(new Error('HTTP 500'), expect.any(AbortSignal));

    const again = c.run();
    c.abort();
    pending[1]?.reject(new DOMException('aborted', 'AbortError'));
    await again;
    expect(failed).toHaveBeenCalledTimes(1);
  });

  it('reset() drops the load in flight and goes back to idle; the host disconnecting aborts', async () => {
    const { load, pending } = deferredLoads<string>();
    const ready = vi.fn();
    const c = new LoadController(fakeHost(), { load, ready, failed: vi.fn() });
    const run = c.run();
    c.reset();
    expect(c.status).toBe('idle');
    pending[0]?.resolve('stale');
    await run;
    expect(ready).not.toHaveBeenCalled();
    expect(c.status).toBe('idle');

    void c.run();
    c.hostDisconnected();
    expect(pending[1]?.signal.aborted).toBe(true);
  });
});
