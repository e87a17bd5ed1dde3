// One load at a time for a Lit element (a Lit ReactiveController): a new load aborts the one before it, a result
// is applied only when its load was not aborted meanwhile, and the status (idle, loading, ready, error) is the
// host's to render. Used for /config, the conversation list and the upload panel's file list, which each repeated
// that sequence by hand. The host's disconnect aborts the load in flight.
import type { ReactiveController, ReactiveControllerHost } from 'lit';

/**
 * - `idle`: nothing loaded yet, or what was loaded is out of date (`reset()`)
 * - `loading`: a load is in flight
 * - `ready`: the last load's value was applied
 * - `error`: the last load failed
 */
export type LoadStatus = 'idle' | 'loading' | 'ready' | 'error';

export interface LoadOptions<T, A extends unknown[]> {
  /** Fetches; must honour the signal. */
  load(signal: AbortSignal, ...args: A): Promise<T>;
  /** The load finished and nothing replaced it: apply its value (called before the status becomes `ready`). */
  ready(value: T, ...args: A): void;
  /** The load failed, not by being aborted (called after the status became `error`). */
  failed(err: unknown, signal: AbortSignal, ...args: A): void | Promise<void>;
}

function isAbort(err: unknown): boolean {
  return err instanceof DOMException && err.name === 'AbortError';
}

export class LoadController<T, A extends unknown[] = []> implements ReactiveController {
  private current: AbortController | undefined;
  private state: LoadStatus = 'idle';

  constructor(
    private readonly host: ReactiveControllerHost,
    private readonly options: LoadOptions<T, A>,
  ) {
    host.addController(this);
  }

  get status(): LoadStatus {
    return this.state;
  }

  /** Loads, aborting the load in flight; resolves when this load was applied, failed or was replaced. */
  async run(...args: A): Promise<void> {
    this.current?.abort();
    const abort = new AbortController();
    this.current = abort;
    this.setStatus('loading');
    try {
      const value = await this.options.load(abort.signal, ...args);
      if (abort.signal.aborted) return;
      this.options.ready(value, ...args);
      this.setStatus('ready');
    } catch (err) {
      if (abort.signal.aborted || isAbort(err)) return;
      this.setStatus('error');
      await this.options.failed(err, abort.signal, ...args);
    }
  }

  /** Aborts the load in flight (its result is dropped); the status stays as it was. */
  abort(): void {
    this.current?.abort();
  }

  /** What was loaded is out of date: aborts the load in flight and goes back to `idle`. */
  reset(): void {
    this.abort();
    this.setStatus('idle');
  }

  hostDisconnected(): void {
    this.abort();
  }

  private setStatus(status: LoadStatus): void {
    if (this.state === status) return;
    this.state = status;
    this.host.requestUpdate();
  }
}
