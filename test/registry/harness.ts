/**
 * Real parts for the registry tests: Debian's `docker-registry` on 127.0.0.1 (plain or htpasswd),
 * filled by `skopeo copy`, and a node:http proxy in front of it that logs every request and can
 * demand a Bearer token (its own /token endpoint), tamper with, stall, reset, fail or redirect blobs.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { copyFileSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { gnuTar, sha256hex, writeOciLayout } from '../composefs/sources/fixtures.js';
import { type OsFiles, writeTree } from '../sysroot/deploy/fixture.js';
import { cfskitAsync } from '../helpers/cli.js';

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
    s.on('error', reject);
  });
}

export interface Registry {
  port: number;
  host: string;
  stop(): Promise<void>;
}

/** Starts docker-registry with storage in `dir`; `users` turns on htpasswd basic auth. */
export async function startRegistry(dir: string, users?: Record<string, string>): Promise<Registry> {
  const port = await freePort();
  mkdirSync(join(dir, 'storage'), { recursive: true });
  let auth = '';
  if (users) {
    const lines = Object.entries(users).map(([u, p]) => {
      const r = spawnSync('htpasswd', ['-Bbn', u, p], { encoding: 'utf8' });
      if (r.status !== 0) throw new Error(`htpasswd failed: ${r.stderr}`);
      return r.stdout.trim();
    });
    writeFileSync(join(dir, 'htpasswd'), `${lines.join('\n')}\n`);
    auth = `auth:\n  htpasswd:\n    realm: basic-realm\n    path: ${join(dir, 'htpasswd')}\n`;
  }
  const config = join(dir, 'config.yml');
  writeFileSync(config, `version: 0.1\nlog:\n  level: error\n  accesslog:\n    disabled: true\nstorage:\n  filesystem:\n    rootdirectory: ${join(dir, 'storage')}\n  delete:\n    enabled: true\nhttp:\n  addr: 127.0.0.1:${port}\n${auth}`);
  const child: ChildProcess = spawn('docker-registry', ['serve', config], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (d) => (stderr += d));
  const stop = async () => {
    if (child.exitCode !== null) return;
    const gone = new Promise((r) => child.once('exit', r));
    child.kill('SIGTERM');
    await gone;
  };
  for (let i = 0; i < 100; i++) {
    const ok = await new Promise<boolean>((resolve) => {
      http.get(`http://127.0.0.1:${port}/v2/`, (res) => {
        res.resume();
        resolve(true);
      }).on('error', () => resolve(false));
    });
    if (ok) return { port, host: `127.0.0.1:${port}`, stop };
    if (child.exitCode !== null) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  await stop();
  throw new Error(`docker-registry did not start: ${stderr}`);
}

/** `skopeo copy` of an OCI layout into the registry. */
export function skopeoPush(layout: string, dest: string, extra: string[] = [], creds?: string): void {
  const args = ['copy', '--quiet', '--dest-tls-verify=false', ...(creds ? ['--dest-creds', creds] : []), ...extra, `oci:${layout}`, dest];
  const r = spawnSync('skopeo', args, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`skopeo ${args.join(' ')} failed: ${r.stderr}`);
}

export interface ProxyRule {
  /** Flip a byte in the body of blob responses whose path matches. */
  tamper?: RegExp;
  /** Never answer requests whose path matches. */
  stall?: RegExp;
  /** Answer 503 to the first N requests whose path matches `fail.path`. */
  fail?: { path: RegExp; count: number };
  /** Close the connection half way through the body of the first N matching responses. */
  reset?: { path: RegExp; count: number };
  /** Answer blob GETs with a 307 to /_redirect/<path> on the proxy. */
  redirect?: boolean;
  /** Pause this many ms after each chunk of a blob body (a slow link). */
  slow?: number;
  /** Demand a Bearer token from /token; with users, the token endpoint demands Basic credentials. */
  bearer?: { users?: Record<string, string> };
}

export interface Proxy {
  port: number;
  host: string;
  /** Every request as `METHOD PATH` (the token endpoint included). */
  log: string[];
  rules: ProxyRule;
  blobGets(): string[];
  stop(): Promise<void>;
}

/** A proxy in front of the registry at `target`. */
export async function startProxy(target: number, rules: ProxyRule = {}): Promise<Proxy> {
  const log: string[] = [];
  const tokens = new Set<string>();
  const sockets = new Set<net.Socket>();
  let n = 0;
  const server = http.createServer((req, res) => {
    const path = req.url ?? '/';
    log.push(`${req.method} ${path}`);
    const r = proxy.rules;
    if (path.startsWith('/token')) {
      const users = r.bearer?.users;
      if (users) {
        const [u, p] = Buffer.from((req.headers.authorization ?? '').replace(/^Basic /, ''), 'base64').toString().split(':');
        if (!u || users[u] !== p) {
          res.writeHead(401, { 'content-type': 'application/json' }).end('{"errors":[{"code":"UNAUTHORIZED"}]}');
          return;
        }
      }
      const token = `tok${++n}`;
      tokens.add(token);
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ token, expires_in: 300 }));
      return;
    }
    if (r.bearer && !tokens.has((req.headers.authorization ?? '').replace(/^Bearer /, ''))) {
      res.writeHead(401, { 'www-authenticate': `Bearer realm="http://127.0.0.1:${proxy.port}/token",service="cfskit-test"`, 'content-type': 'application/json' });
      res.end('{"errors":[{"code":"UNAUTHORIZED"}]}');
      return;
    }
    if (r.stall?.test(path)) return; // never answered
    if (r.fail && r.fail.count > 0 && r.fail.path.test(path)) {
      r.fail.count--;
      res.writeHead(503).end();
      return;
    }
    if (r.redirect && req.method === 'GET' && /^\/v2\/.*\/blobs\/sha256:/.test(path)) {
      res.writeHead(307, { location: `/_redirect${path}` }).end();
      return;
    }
    const upstreamPath = path.replace(/^\/_redirect/, '');
    const headers = { ...req.headers };
    if (r.bearer) delete headers.authorization;
    const up = http.request({ host: '127.0.0.1', port: target, method: req.method, path: upstreamPath, headers }, (ures) => {
      const tamper = r.tamper?.test(upstreamPath) && /\/blobs\//.test(upstreamPath);
      const reset = r.reset && r.reset.count > 0 && r.reset.path.test(upstreamPath) && req.method === 'GET';
      if (reset) r.reset!.count--;
      res.writeHead(ures.statusCode ?? 502, ures.headers);
      let sent = 0;
      const total = Number(ures.headers['content-length'] ?? 0);
      ures.on('data', (chunk: Buffer) => {
        if (tamper && sent === 0) chunk = Buffer.from(chunk).fill(chunk[0] ^ 0xff, 0, 1);
        if (reset && sent + chunk.length > total / 2) {
          res.write(chunk.subarray(0, Math.max(0, Math.floor(total / 2) - sent)));
          req.socket.destroy();
          ures.destroy();
          return;
        }
        sent += chunk.length;
        res.write(chunk);
        if (r.slow && /\/blobs\//.test(upstreamPath)) {
          ures.pause();
          setTimeout(() => ures.resume(), r.slow);
        }
      });
      ures.on('end', () => res.end());
    });
    up.on('error', () => res.destroy());
    req.pipe(up);
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  const proxy: Proxy = {
    port,
    host: `127.0.0.1:${port}`,
    log,
    rules,
    blobGets: () => log.filter((l) => /^GET \/v2\/.*\/blobs\//.test(l)),
    stop: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  return proxy;
}

export type Compression = 'none' | 'gzip' | 'zstd';
const LAYER_TYPES: Record<Compression, string> = {
  none: 'application/vnd.oci.image.layer.v1.tar',
  gzip: 'application/vnd.oci.image.layer.v1.tar+gzip',
  zstd: 'application/vnd.oci.image.layer.v1.tar+zstd',
};

export function compress(tar: Buffer, c: Compression): Buffer {
  if (c === 'none') return tar;
  if (c === 'gzip') return gzipSync(tar);
  const r = spawnSync('zstd', ['-q', '-c', '-3'], { input: tar, maxBuffer: 1 << 30 });
  if (r.status !== 0) throw new Error(`zstd failed: ${r.stderr}`);
  return r.stdout;
}

/** A tar of `files` (deploy fixture's OsFiles) made by GNU tar. */
export function tarOfFiles(work: string, name: string, files: OsFiles): Buffer {
  const dir = join(work, `tree-${name}`);
  writeTree(dir, files);
  const out = join(work, `${name}.tar`);
  gnuTar(dir, out);
  return readFileSync(out);
}

/** An OCI layout of layers (tars), each compressed as asked; tag `tag`. */
export function layoutOf(dir: string, tars: Buffer[], c: Compression, tag = '1'): string {
  writeOciLayout(dir, tars.map((tar) => ({ tar, blob: compress(tar, c), mediaType: LAYER_TYPES[c] })), tag);
  return dir;
}

/** A multi-arch layout: an image index with one manifest per platform, each from its own layout. */
export function indexLayoutOf(dir: string, images: { layout: string; os: string; architecture: string; variant?: string }[], tag = '1'): string {
  mkdirSync(join(dir, 'blobs', 'sha256'), { recursive: true });
  const manifests = images.map((img) => {
    for (const f of readdirSync(join(img.layout, 'blobs', 'sha256'))) copyFileSync(join(img.layout, 'blobs', 'sha256', f), join(dir, 'blobs', 'sha256', f));
    const m = JSON.parse(readFileSync(join(img.layout, 'index.json'), 'utf8')).manifests[0];
    const platform = { os: img.os, architecture: img.architecture, ...(img.variant ? { variant: img.variant } : {}) };
    return { mediaType: m.mediaType, digest: m.digest, size: m.size, platform };
  });
  const index = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.index.v1+json', manifests }));
  const h = sha256hex(index);
  writeFileSync(join(dir, 'blobs', 'sha256', h), index);
  writeFileSync(join(dir, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }));
  writeFileSync(join(dir, 'index.json'), JSON.stringify({
    schemaVersion: 2,
    manifests: [{ mediaType: 'application/vnd.oci.image.index.v1+json', digest: `sha256:${h}`, size: index.length, annotations: { 'org.opencontainers.image.ref.name': tag } }],
  }));
  return dir;
}

/** One HTTP request to the registry; resolves with status, headers and body. */
function call(url: string, method: string, body?: Buffer, headers: Record<string, string> = {}): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method, headers: { ...headers, ...(body ? { 'content-length': String(body.length) } : {}) } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

/**
 * Pushes a one-manifest OCI layout as is, through the distribution API (monolithic uploads): skopeo
 * compresses uncompressed layers on the way to a registry, this keeps them.
 */
export async function pushLayoutAsIs(layout: string, host: string, name: string, tag: string): Promise<void> {
  const blobs = join(layout, 'blobs', 'sha256');
  const m = JSON.parse(readFileSync(join(layout, 'index.json'), 'utf8')).manifests[0];
  const manifest = readFileSync(join(blobs, m.digest.slice(7)));
  const doc = JSON.parse(manifest.toString());
  for (const d of [doc.config, ...doc.layers]) {
    const start = await call(`http://${host}/v2/${name}/blobs/uploads/`, 'POST');
    if (start.status !== 202) throw new Error(`upload start: HTTP ${start.status}`);
    const loc = new URL(String(start.headers.location), `http://${host}`);
    loc.searchParams.set('digest', d.digest);
    const put = await call(loc.toString(), 'PUT', readFileSync(join(blobs, d.digest.slice(7))), { 'content-type': 'application/octet-stream' });
    if (put.status !== 201) throw new Error(`blob upload: HTTP ${put.status} ${put.body}`);
  }
  const r = await call(`http://${host}/v2/${name}/manifests/${tag}`, 'PUT', manifest, { 'content-type': m.mediaType });
  if (r.status !== 201) throw new Error(`manifest upload: HTTP ${r.status} ${r.body}`);
}

const REPO_ROOT = join(import.meta.dirname, '..', '..');

/** The CLI as a child process; asynchronous, so the proxy in this process keeps answering. */
export const cfskit = (args: string[]) => cfskitAsync(args, { cwd: REPO_ROOT });
