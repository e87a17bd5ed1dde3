// A round-robin load balancer for the cluster test: HTTP requests and WebSocket upgrades go to the next backend in
// turn; a backend that refuses the connection (restarting) is skipped for the next one, as a balancer with
// health checks would.
import http from 'node:http';
import net from 'node:net';

export class RoundRobin {
  private next = 0;
  private server: http.Server | undefined;
  /** the backend port each upgrade went to, in order */
  readonly upgrades: number[] = [];
  url = '';

  constructor(readonly backends: number[]) {}

  private pick(): number[] {
    const start = this.next++ % this.backends.length;
    return [...this.backends.slice(start), ...this.backends.slice(0, start)];
  }

  async start(): Promise<string> {
    this.server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => this.forward(req, res, Buffer.concat(chunks), this.pick()));
    });
    this.server.on('upgrade', (req, socket, head) =>
      this.upgrade(req, socket as net.Socket, head, this.pick()),
    );
    await new Promise<void>((resolve) => this.server?.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as net.AddressInfo).port}`;
    return this.url;
  }

  private forward(req: http.IncomingMessage, res: http.ServerResponse, body: Buffer, order: number[]): void {
    const [port, ...rest] = order;
    if (port === undefined) {
      res.writeHead(502).end();
      return;
    }
    const upstream = http.request(
      { host: '127.0.0.1', port, method: req.method, path: req.url, headers: req.headers },
      (r) => {
        res.writeHead(r.statusCode ?? 502, r.headers);
        r.pipe(res);
      },
    );
    upstream.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'ECONNREFUSED' && !res.headersSent) this.forward(req, res, body, rest);
      else res.destroy();
    });
    res.on('close', () => upstream.destroy());
    upstream.end(body);
  }

  private upgrade(req: http.IncomingMessage, socket: net.Socket, head: Buffer, order: number[]): void {
    const [port, ...rest] = order;
    if (port === undefined) {
      socket.destroy();
      return;
    }
    const upstream = net.connect(port, '127.0.0.1');
    upstream.once('connect', () => {
      this.upgrades.push(port);
      const lines = [`${req.method} ${req.url} HTTP/1.1`];
      for (let i = 0; i < req.rawHeaders.length; i += 2)
        lines.push(`${req.rawHeaders[i]}: ${req.rawHeaders[i + 1]}`);
      upstream.write(`${lines.join('\r\n')}\r\n\r\n`);
      if (head.length > 0) upstream.write(head);
      socket.pipe(upstream).pipe(socket);
    });
    upstream.once('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'ECONNREFUSED' && upstream.bytesWritten === 0) this.upgrade(req, socket, head, rest);
      else socket.destroy();
    });
    socket.on('error', () => upstream.destroy());
    socket.on('close', () => upstream.destroy());
    upstream.on('close', () => socket.destroy());
  }

  async close(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}
