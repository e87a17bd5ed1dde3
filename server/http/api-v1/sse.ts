// Server-sent events as the @inconvoai/node SDK reads them: the SDK's SSEStream splits the body on "\n" and parses
// every `data: <JSON>` line as one event (the JSON carries `type` and `id`); other lines are ignored. Each event is
// also named with an `event:` line so standard EventSource clients can listen by type.
import type { Response } from 'express';

export interface StreamEvent {
  type: string;
  id: string;
  [key: string]: unknown;
}

export interface SseOptions {
  /** comment lines that keep proxies from closing a quiet stream; default 15 s */
  heartbeatMs?: number;
}

export class SseWriter {
  private readonly heartbeat: NodeJS.Timeout;
  private ended = false;

  constructor(
    private readonly res: Response,
    options: SseOptions = {},
  ) {
    res.status(200);
    res.setHeader('Content-Type', 'text/event-stream; charset=utf-8');
    res.setHeader('Cache-Control', 'no-cache, no-transform');
    res.setHeader('Connection', 'keep-alive');
    // nginx and similar proxies buffer responses unless told not to
    res.setHeader('X-Accel-Buffering', 'no');
    res.flushHeaders();
    res.socket?.setNoDelay(true);
    this.heartbeat = setInterval(() => this.write(': keep-alive\n\n'), options.heartbeatMs ?? 15_000);
    this.heartbeat.unref();
    res.on('close', () => this.stop());
  }

  /** false once the client is gone or the stream was ended */
  get open(): boolean {
    return !this.ended && !this.res.writableEnded && !this.res.destroyed;
  }

  send(event: StreamEvent): void {
    // JSON.stringify escapes CR and LF, so the data is always exactly one line
    this.write(`event: ${event.type}\ndata: ${JSON.stringify(event)}\n\n`);
  }

  end(): void {
    if (this.open) this.res.end();
    this.stop();
  }

  private write(chunk: string): void {
    if (this.open) this.res.write(chunk);
  }

  private stop(): void {
    this.ended = true;
    clearInterval(this.heartbeat);
  }
}
