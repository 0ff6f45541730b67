/**
 * The HTTP(S) side of pull: GETs relative to a remote's base URL over one keep-alive Agent, at
 * most `concurrency` requests in flight, an idle timeout per request, and retries with
 * exponential backoff on connection errors, timeouts, truncated bodies and 5xx/429 answers. A
 * body is handed to its consumer as it arrives; a failed attempt's consumer must leave nothing
 * behind, since the next attempt starts again from byte 0.
 */
import * as http from 'node:http';
import * as https from 'node:https';
import { CfsError } from '../errors.js';

export interface HttpOptions {
  /** Requests in flight at most (default 16). */
  concurrency?: number;
  /** Milliseconds without a byte before a request is abandoned and retried (default 30 s). */
  timeoutMs?: number;
  /** Retries after the first attempt (default 5). */
  retries?: number;
  /** First backoff in ms, doubled per retry (default 200). */
  backoffMs?: number;
}

/** A failure worth retrying (network, timeout, 5xx, short body), as opposed to 404 or a bad byte. */
export class TransientError extends Error {}

export interface Body {
  /** Content-Length when the server sent one. */
  length: number | undefined;
  chunks: AsyncIterable<Uint8Array>;
}

export interface HttpStats {
  requests: number;
  bytes: number;
  retries: number;
}

export class HttpClient {
  readonly base: URL;
  readonly stats: HttpStats = { requests: 0, bytes: 0, retries: 0 };
  private readonly agent: http.Agent;
  private readonly opts: Required<HttpOptions>;
  private active = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(baseUrl: string, opts: HttpOptions = {}) {
    let base: URL;
    try {
      base = new URL(baseUrl.endsWith('/') ? baseUrl : `${baseUrl}/`);
    } catch {
      throw new CfsError(`invalid URL '${baseUrl}'`, { field: 'url', code: 'EREMOTE' });
    }
    if (base.protocol !== 'http:' && base.protocol !== 'https:') throw new CfsError(`unsupported URL scheme '${base.protocol}' (http or https)`, { field: 'url', code: 'EREMOTE' });
    this.base = base;
    const given = Object.fromEntries(Object.entries(opts).filter(([, v]) => v !== undefined));
    this.opts = { concurrency: 16, timeoutMs: 30_000, retries: 5, backoffMs: 200, ...given };
    const agentOpts = { keepAlive: true, maxSockets: this.opts.concurrency };
    this.agent = base.protocol === 'https:' ? new https.Agent(agentOpts) : new http.Agent(agentOpts);
  }

  urlOf(path: string): string {
    return new URL(path, this.base).toString();
  }

  /**
   * GETs `path` and runs `consume` on its body, retrying transient failures (the consumer runs
   * again from the start). Resolves to null on 404 when `optional`.
   */
  async get<T>(path: string, consume: (body: Body) => Promise<T>, optional = false): Promise<T | null> {
    const url = this.urlOf(path);
    for (let attempt = 0; ; attempt++) {
      await this.acquire();
      try {
        return await this.once(url, consume, optional);
      } catch (e) {
        if (!(e instanceof TransientError) || attempt >= this.opts.retries) {
          if (e instanceof TransientError) throw new CfsError(`${e.message} (gave up after ${attempt + 1} attempts)`, { file: url, code: 'EFETCH' });
          throw e;
        }
      } finally {
        this.release();
      }
      this.stats.retries++;
      await new Promise((r) => setTimeout(r, this.opts.backoffMs * 2 ** attempt));
    }
  }

  /** The whole body, at most `max` bytes; null on 404 when `optional`. */
  getBytes(path: string, max: number, optional = false): Promise<Uint8Array | null> {
    return this.get(path, async (body) => {
      if (body.length !== undefined && body.length > max) throw new CfsError(`larger than ${max} bytes`, { file: this.urlOf(path), code: 'EFETCH' });
      const parts: Uint8Array[] = [];
      let n = 0;
      for await (const c of body.chunks) {
        n += c.length;
        if (n > max) throw new CfsError(`larger than ${max} bytes`, { file: this.urlOf(path), code: 'EFETCH' });
        parts.push(c);
      }
      return new Uint8Array(Buffer.concat(parts, n));
    }, optional);
  }

  close(): void {
    this.agent.destroy();
  }

  private async acquire(): Promise<void> {
    while (this.active >= this.opts.concurrency) await new Promise<void>((r) => this.waiting.push(r));
    this.active++;
  }

  private release(): void {
    this.active--;
    this.waiting.shift()?.();
  }

  private once<T>(url: string, consume: (body: Body) => Promise<T>, optional: boolean): Promise<T | null> {
    return new Promise<T | null>((resolve, reject) => {
      const mod = url.startsWith('https:') ? https : http;
      this.stats.requests++;
      let settled = false;
      const fail = (e: unknown) => {
        if (settled) return;
        settled = true;
        req.destroy();
        reject(e);
      };
      const req = mod.get(url, { agent: this.agent }, (res) => {
        const status = res.statusCode ?? 0;
        if (status === 404 && optional) {
          res.resume();
          settled = true;
          resolve(null);
          return;
        }
        if (status !== 200) {
          res.resume();
          const e = status >= 500 || status === 429 || status === 408
            ? new TransientError(`HTTP ${status}`)
            : new CfsError(`HTTP ${status}${status === 404 ? ' (not found)' : ''}`, { file: url, code: 'EFETCH' });
          fail(e);
          return;
        }
        const header = res.headers['content-length'];
        const length = header === undefined ? undefined : Number(header);
        let got = 0;
        const stats = this.stats;
        async function* chunks(): AsyncGenerator<Uint8Array> {
          try {
            for await (const c of res as AsyncIterable<Buffer>) {
              got += c.length;
              stats.bytes += c.length;
              yield c;
            }
          } catch (e) {
            throw new TransientError(`connection lost after ${got} bytes: ${(e as Error).message}`);
          }
          if (!res.complete || (length !== undefined && got !== length)) throw new TransientError(`body truncated at ${got} of ${length ?? '?'} bytes`);
        }
        consume({ length, chunks: chunks() }).then((v) => {
          if (settled) return;
          settled = true;
          resolve(v);
        }, fail);
      });
      req.setTimeout(this.opts.timeoutMs, () => fail(new TransientError(`no data for ${this.opts.timeoutMs} ms`)));
      req.on('error', (e) => fail(new TransientError((e as Error).message)));
    });
  }
}
