/**
 * A fault-injecting HTTP proxy in front of the test nginx: per request it passes the answer on,
 * or drops the connection mid-body, answers 500, truncates the body (full Content-Length, half
 * the bytes, then close), or stalls mid-body past the client's timeout. `plan` decides per
 * request path; `delayMs` slows every answer (for kill -9 at random points).
 */
import * as http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export type Fault = 'pass' | 'drop' | 'error500' | 'truncate' | 'stall';

export class FaultProxy {
  plan: (path: string) => Fault = () => 'pass';
  delayMs = 0;
  readonly faults: Record<Fault, number> = { pass: 0, drop: 0, error500: 0, truncate: 0, stall: 0 };
  /** Requests being answered now, the most at once, and TCP connections accepted. */
  inFlight = 0;
  maxInFlight = 0;
  connections = 0;
  private server?: http.Server;
  private readonly sockets = new Set<Socket>();
  private readonly agent = new http.Agent({ keepAlive: true });

  constructor(private readonly upstreamPort: number) {}

  get url(): string {
    return `http://127.0.0.1:${(this.server!.address() as AddressInfo).port}`;
  }

  /** Faults `fault` on the first `times` requests whose path starts with `prefix`, then passes. */
  failFirst(prefix: string, fault: Fault, times: number): void {
    let left = times;
    this.plan = (path) => (path.startsWith(prefix) && left-- > 0 ? fault : 'pass');
  }

  async start(): Promise<void> {
    this.server = http.createServer((req, res) => void this.handle(req, res));
    this.server.on('connection', (s) => {
      this.connections++;
      this.sockets.add(s);
      s.on('close', () => this.sockets.delete(s));
    });
    await new Promise<void>((r) => this.server!.listen(0, '127.0.0.1', r));
  }

  async stop(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    this.agent.destroy();
    await new Promise<void>((r) => (this.server ? this.server.close(() => r()) : r()));
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const fault = this.plan(req.url ?? '/');
    this.faults[fault]++;
    this.maxInFlight = Math.max(this.maxInFlight, ++this.inFlight);
    res.once('close', () => this.inFlight--);
    if (this.delayMs) await new Promise((r) => setTimeout(r, this.delayMs));
    if (fault === 'error500') {
      res.writeHead(500, { 'content-length': '0' });
      res.end();
      return;
    }
    const up = http.get({ host: '127.0.0.1', port: this.upstreamPort, path: req.url, agent: this.agent }, async (upRes) => {
      const chunks: Buffer[] = [];
      for await (const c of upRes) chunks.push(c as Buffer);
      const body = Buffer.concat(chunks);
      res.writeHead(upRes.statusCode ?? 502, { 'content-length': String(body.length), 'content-type': 'application/octet-stream' });
      if (fault === 'pass' || body.length < 2) {
        res.end(body);
        return;
      }
      res.write(body.subarray(0, body.length >> 1));
      if (fault === 'drop') setImmediate(() => res.socket?.destroy());
      else if (fault === 'truncate') setImmediate(() => res.socket?.end());
      // 'stall': nothing more until the client gives up and closes
    });
    up.on('error', () => res.socket?.destroy());
  }
}
