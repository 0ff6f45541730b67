/**
 * A client of the OCI distribution API (v2) for one repository: the `/v2/` ping, the auth
 * handshake (anonymous, Basic, the Bearer token flow), manifests by tag or digest (size-capped
 * while read, digest checked), blobs streamed with redirects followed. HTTPS with keep-alive;
 * with `tlsVerify: false` HTTPS without certificate checks, falling back to plain HTTP when the
 * server does not speak TLS (skopeo's `--tls-verify=false`). Transient failures (resets,
 * timeouts, 5xx, 429) are retried with exponential backoff by `withRetries`.
 */
import { createHash } from 'node:crypto';
import http, { type IncomingMessage } from 'node:http';
import https from 'node:https';
import { CfsError, type CfsErrorCode } from '../errors.js';
import { type Credentials, basicAuthorization, parseChallenges } from './auth.js';
import { DIGEST, type ImageReference, formatReference } from './reference.js';

export const MEDIA = {
  ociManifest: 'application/vnd.oci.image.manifest.v1+json',
  ociIndex: 'application/vnd.oci.image.index.v1+json',
  dockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
  dockerList: 'application/vnd.docker.distribution.manifest.list.v2+json',
} as const;
const MANIFEST_ACCEPT = Object.values(MEDIA).join(', ');

/** Manifests and indexes (the distribution registry's own limit is 4 MiB). */
export const MANIFEST_MAX = 4 << 20;
/** Token responses and error bodies. */
const SMALL_BODY_MAX = 1 << 20;
const MAX_REDIRECTS = 5;
const USER_AGENT = 'cfskit';
const RETRYABLE_ERRNO = new Set(['ECONNRESET', 'ECONNREFUSED', 'EPIPE', 'ETIMEDOUT', 'EAI_AGAIN', 'ECONNABORTED', 'ENETUNREACH', 'EHOSTUNREACH']);

export interface ClientOptions {
  /** Require HTTPS with a verified certificate (default true). */
  tlsVerify?: boolean;
  credentials?: Credentials | null;
  /** A request fails when its connection is idle this long (default 30 s). */
  timeoutMs?: number;
  /** Attempts after the first for a transient failure (default 4). */
  retries?: number;
  /** First backoff; doubled on each retry (default 250 ms). */
  backoffMs?: number;
}

export interface Manifest {
  bytes: Buffer;
  mediaType: string;
  digest: string;
}

/** A failure worth retrying (5xx, timeout, reset). */
class TransientError extends Error {}

export class RegistryClient {
  readonly where: string;
  private scheme: 'https:' | 'http:' | undefined;
  private authorization: string | undefined;
  private readonly agents = {
    'https:': new https.Agent({ keepAlive: true, maxSockets: 4 }),
    'http:': new http.Agent({ keepAlive: true, maxSockets: 4 }),
  };
  private readonly opts: Required<Omit<ClientOptions, 'credentials'>> & { credentials: Credentials | null };

  constructor(readonly ref: ImageReference, opts: ClientOptions = {}) {
    this.where = formatReference(ref);
    this.opts = {
      tlsVerify: opts.tlsVerify ?? true,
      credentials: opts.credentials ?? null,
      timeoutMs: opts.timeoutMs ?? 30_000,
      retries: opts.retries ?? 4,
      backoffMs: opts.backoffMs ?? 250,
    };
  }

  close(): void {
    this.agents['https:'].destroy();
    this.agents['http:'].destroy();
  }

  /** GET a manifest or index by tag or digest; a digest reference must match the bytes. */
  async manifest(reference: string): Promise<Manifest> {
    return this.withRetries(async () => {
      const res = await this.request('GET', `manifests/${reference}`, { accept: MANIFEST_ACCEPT });
      this.expectOk(res, `manifest ${reference}`);
      const bytes = await readBody(res, MANIFEST_MAX, this.where, 'manifest');
      const digest = `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
      if (DIGEST.test(reference) && reference !== digestOf(reference, bytes)) {
        throw this.fail(`manifest digest mismatch: content is ${digestOf(reference, bytes)}, the reference names ${reference}`, 'digest', 'EDIGEST');
      }
      const header = res.headers['docker-content-digest'];
      if (typeof header === 'string' && DIGEST.test(header) && digestOf(header, bytes) !== header) {
        throw this.fail(`manifest digest mismatch: content is ${digestOf(header, bytes)}, Docker-Content-Digest says ${header}`, 'digest', 'EDIGEST');
      }
      const mediaType = String(res.headers['content-type'] ?? '').split(';')[0].trim();
      return { bytes, mediaType, digest: DIGEST.test(reference) ? reference : digest };
    });
  }

  /** The digest a tag names now (HEAD; a GET when the registry sends no Docker-Content-Digest). */
  async manifestDigest(reference: string): Promise<string> {
    const header = await this.withRetries(async () => {
      const res = await this.request('HEAD', `manifests/${reference}`, { accept: MANIFEST_ACCEPT });
      res.resume();
      this.expectOk(res, `manifest ${reference}`);
      const d = res.headers['docker-content-digest'];
      return typeof d === 'string' && DIGEST.test(d) ? d : undefined;
    });
    return header ?? (await this.manifest(reference)).digest;
  }

  /**
   * Streams blob `digest` into `sink` (called per chunk, may return a promise for backpressure);
   * `begin` runs before each attempt so a retried download starts over.
   */
  async blob(digest: string, begin: () => Promise<void> | void, sink: (chunk: Buffer) => Promise<void> | void): Promise<void> {
    await this.withRetries(async () => {
      await begin();
      const res = await this.request('GET', `blobs/${digest}`, {});
      this.expectOk(res, `blob ${digest}`);
      try {
        for await (const chunk of res as AsyncIterable<Buffer>) await sink(chunk);
      } catch (e) {
        throw transient(e) ?? e;
      } finally {
        res.destroy();
      }
      if (!res.complete) throw new TransientError(`blob ${digest}: connection closed before the end of the body`);
    });
  }

  /** Runs `fn` again after transient failures, with exponential backoff. */
  async withRetries<T>(fn: () => Promise<T>): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await fn();
      } catch (e) {
        const t = e instanceof TransientError ? e : transient(e);
        if (!t) throw e;
        if (attempt >= this.opts.retries) throw this.fail(`${t.message} (gave up after ${attempt + 1} attempts)`, 'network', 'ENET');
        await new Promise((r) => setTimeout(r, this.opts.backoffMs * 2 ** attempt));
      }
    }
  }

  private expectOk(res: IncomingMessage, what: string): void {
    const s = res.statusCode ?? 0;
    if (s >= 200 && s < 300) return;
    res.resume();
    if (s === 404) throw this.fail(`${what} not found (HTTP 404)`, 'status', 'ENOTFOUND');
    if (s === 401 || s === 403) throw this.fail(`access to ${what} denied (HTTP ${s}): wrong or missing credentials`, 'auth', 'EAUTH');
    throw this.fail(`${what}: unexpected HTTP status ${s}`, 'status', 'EREGISTRY');
  }

  fail(reason: string, field: string, code: CfsErrorCode): CfsError {
    return new CfsError(reason.replace(/\s*\n\s*/g, ' '), { file: this.where, field, code });
  }

  /** A repository request with auth: the handshake once, one re-authorization on a 401; 5xx and 429 are transient. */
  private async request(method: string, path: string, o: { accept?: string }): Promise<IncomingMessage> {
    if (this.scheme === undefined) await this.ping();
    const url = new URL(`${this.scheme}//${this.ref.apiHost}/v2/${this.ref.repository}/${path}`);
    let res = await this.follow(method, url, o.accept);
    if (res.statusCode === 401 && res.headers['www-authenticate']) {
      res.resume();
      await this.authorize(String(res.headers['www-authenticate']), true);
      res = await this.follow(method, url, o.accept);
    }
    if ((res.statusCode ?? 0) >= 500 || res.statusCode === 429) {
      res.resume();
      throw new TransientError(`${method} ${path}: HTTP ${res.statusCode}`);
    }
    return res;
  }

  /** `GET /v2/`: picks the scheme and answers the registry's first challenge. */
  private async ping(): Promise<void> {
    const schemes: ('https:' | 'http:')[] = this.opts.tlsVerify ? ['https:'] : ['https:', 'http:'];
    let res: IncomingMessage | undefined;
    for (const scheme of schemes) {
      try {
        res = await this.send('GET', new URL(`${scheme}//${this.ref.apiHost}/v2/`), undefined, false);
        this.scheme = scheme;
        break;
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code ?? '';
        const notTls = code === 'EPROTO' || code.startsWith('ERR_SSL') || /wrong version number|packet length too long/.test((e as Error).message);
        if (notTls && this.opts.tlsVerify) throw this.fail(`the registry does not speak HTTPS (${code || 'TLS error'}); a plain-HTTP registry needs --tls-verify=false`, 'network', 'ENET');
        if (!notTls || scheme === schemes[schemes.length - 1]) throw transient(e) ?? this.fail(`cannot reach the registry: ${code || (e as Error).message}`, 'network', 'ENET');
      }
    }
    res!.resume();
    const status = res!.statusCode ?? 0;
    if (status >= 500 || status === 429) {
      this.scheme = undefined;
      throw new TransientError(`GET /v2/: HTTP ${status}`);
    }
    if (status === 401 && res!.headers['www-authenticate']) await this.authorize(String(res!.headers['www-authenticate']), false);
  }

  /** Answers a challenge: Basic with the credentials, or a Bearer token for this repository's pull scope. */
  private async authorize(header: string, failedWithAuth: boolean): Promise<void> {
    const challenges = parseChallenges(header);
    const bearer = challenges.find((c) => c.scheme === 'bearer');
    const creds = this.opts.credentials;
    if (bearer) {
      const { realm, service } = bearer.params;
      if (!realm) throw this.fail('Bearer challenge without a realm', 'WWW-Authenticate', 'EAUTH');
      const scope = bearer.params.scope ?? `repository:${this.ref.repository}:pull`;
      const previous = this.authorization;
      this.authorization = `Bearer ${await this.token(realm, service, scope)}`;
      if (failedWithAuth && previous === this.authorization) throw this.fail('access denied (HTTP 401) with a fresh token: wrong credentials', 'auth', 'EAUTH');
      return;
    }
    if (challenges.some((c) => c.scheme === 'basic')) {
      if (!creds) throw this.fail('the registry requires credentials (HTTP 401); give --creds or an auth file', 'auth', 'EAUTH');
      if (failedWithAuth && this.authorization) throw this.fail('access denied (HTTP 401): wrong credentials', 'auth', 'EAUTH');
      this.authorization = basicAuthorization(creds);
      return;
    }
    throw this.fail(`unsupported authentication scheme '${challenges[0]?.scheme ?? header.slice(0, 20)}'`, 'WWW-Authenticate', 'EAUTH');
  }

  /** The Bearer token flow: GET realm?service=&scope=, with Basic credentials when we have some. */
  private async token(realm: string, service: string | undefined, scope: string): Promise<string> {
    let url: URL;
    try {
      url = new URL(realm);
    } catch {
      throw this.fail('Bearer realm is not a URL', 'WWW-Authenticate', 'EAUTH');
    }
    if (url.protocol !== 'https:' && !(url.protocol === 'http:' && !this.opts.tlsVerify)) {
      throw this.fail(`token realm must use https (got ${url.protocol}); plain http needs --tls-verify=false`, 'WWW-Authenticate', 'EAUTH');
    }
    if (service) url.searchParams.set('service', service);
    url.searchParams.set('scope', scope);
    const creds = this.opts.credentials;
    const res = await this.send('GET', url, undefined, false, creds ? basicAuthorization(creds) : undefined);
    if (res.statusCode === 401 || res.statusCode === 403) {
      res.resume();
      throw this.fail(`the token service refused the credentials (HTTP ${res.statusCode})`, 'auth', 'EAUTH');
    }
    if ((res.statusCode ?? 0) >= 500) {
      res.resume();
      throw new TransientError(`token service: HTTP ${res.statusCode}`);
    }
    if (res.statusCode !== 200) {
      res.resume();
      throw this.fail(`token service: unexpected HTTP status ${res.statusCode}`, 'auth', 'EAUTH');
    }
    const body = await readBody(res, SMALL_BODY_MAX, this.where, 'token');
    let doc: { token?: unknown; access_token?: unknown };
    try {
      doc = JSON.parse(body.toString('utf8'));
    } catch {
      throw this.fail('token response is not JSON', 'token', 'EAUTH');
    }
    const token = typeof doc?.token === 'string' ? doc.token : doc?.access_token;
    if (typeof token !== 'string' || token === '' || /[\r\n]/.test(token)) throw this.fail('token response has no token', 'token', 'EAUTH');
    return token;
  }

  /** One request and its redirects (Authorization is only sent to the registry's own host). */
  private async follow(method: string, url: URL, accept?: string): Promise<IncomingMessage> {
    let current = url;
    for (let hop = 0; ; hop++) {
      const res = await this.send(method, current, accept, current.host === url.host);
      const location = res.headers.location;
      if (![301, 302, 303, 307, 308].includes(res.statusCode ?? 0) || !location) return res;
      res.resume();
      if (hop >= MAX_REDIRECTS) throw this.fail(`more than ${MAX_REDIRECTS} redirects`, 'redirect', 'EREGISTRY');
      const next = new URL(location, current);
      if (next.protocol !== 'https:' && !(next.protocol === 'http:' && !this.opts.tlsVerify)) {
        throw this.fail(`redirect to a non-https URL refused (${next.protocol})`, 'redirect', 'EREGISTRY');
      }
      current = next;
    }
  }

  private send(method: string, url: URL, accept: string | undefined, authorize: boolean, authorization?: string): Promise<IncomingMessage> {
    const headers: Record<string, string> = { 'user-agent': USER_AGENT };
    if (accept) headers.accept = accept;
    const auth = authorization ?? (authorize ? this.authorization : undefined);
    if (auth) headers.authorization = auth;
    const mod = url.protocol === 'https:' ? https : http;
    return new Promise((resolve, reject) => {
      const req = mod.request(url, {
        method,
        headers,
        agent: this.agents[url.protocol as 'https:' | 'http:'],
        rejectUnauthorized: this.opts.tlsVerify,
      }, resolve);
      req.setTimeout(this.opts.timeoutMs, () => req.destroy(new TransientError(`${url.host}: no answer for ${this.opts.timeoutMs} ms`)));
      req.on('error', reject);
      req.end();
    });
  }
}

/** `alg:hex` of `bytes` with the algorithm of `like`. */
function digestOf(like: string, bytes: Uint8Array): string {
  const alg = like.slice(0, like.indexOf(':'));
  return `${alg}:${createHash(alg).update(bytes).digest('hex')}`;
}

/** A transient network error as TransientError, or undefined. */
function transient(e: unknown): TransientError | undefined {
  if (e instanceof TransientError) return e;
  if (e instanceof CfsError) return undefined;
  const code = (e as NodeJS.ErrnoException)?.code;
  if (code && RETRYABLE_ERRNO.has(code)) return new TransientError(`${code}: ${(e as Error).message}`);
  if ((e as Error)?.message === 'aborted' || code === 'ERR_STREAM_PREMATURE_CLOSE') return new TransientError('connection closed mid-body');
  return undefined;
}

/** A whole body of at most `max` bytes (Content-Length checked first, then while reading). */
export async function readBody(res: IncomingMessage, max: number, where: string, field: string): Promise<Buffer> {
  const declared = Number(res.headers['content-length'] ?? NaN);
  const tooBig = (): CfsError => new CfsError(`${field} larger than ${max} bytes`, { file: where, field, code: 'EREGISTRY' });
  if (declared > max) {
    res.destroy();
    throw tooBig();
  }
  const chunks: Buffer[] = [];
  let n = 0;
  try {
    for await (const chunk of res as AsyncIterable<Buffer>) {
      n += chunk.length;
      if (n > max) {
        res.destroy();
        throw tooBig();
      }
      chunks.push(chunk);
    }
  } catch (e) {
    throw transient(e) ?? e;
  }
  if (!res.complete) throw new TransientError(`${field}: connection closed before the end of the body`);
  return Buffer.concat(chunks, n);
}
