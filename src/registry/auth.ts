/**
 * Registry credentials as containers tools find them, and the `WWW-Authenticate` challenge.
 * Credentials: `--creds=USER:PASS`, else the first auth file with an entry for the registry among
 * `--authfile` (alone when given), `$REGISTRY_AUTH_FILE`, `$XDG_RUNTIME_DIR/containers/auth.json`,
 * `~/.docker/config.json`. An entry is `auths.KEY.auth` = base64 `user:pass`; KEY is the registry,
 * optionally with a scheme or a repository path (the longest matching path wins).
 * Secrets never appear in an error or a log line.
 */
import { readFileSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { CfsError } from '../errors.js';

export interface Credentials {
  username: string;
  password: string;
}

export interface CredentialOptions {
  /** `--creds=USER[:PASS]`. */
  creds?: string;
  /** `--authfile=FILE`: the only file consulted. */
  authfile?: string;
  env?: NodeJS.ProcessEnv;
  home?: string;
}

/** Auth files are small JSON documents; a larger one is refused. */
const AUTH_FILE_MAX = 1 << 20;
/** A challenge header longer than this is refused. */
const CHALLENGE_MAX = 8192;

/** `--creds=USER:PASS` (the password may contain ':'). */
export function parseCreds(text: string): Credentials {
  const colon = text.indexOf(':');
  if (colon <= 0) throw new CfsError('credentials must be USER:PASS', { field: '--creds', code: 'EUSAGE' });
  return { username: text.slice(0, colon), password: text.slice(colon + 1) };
}

/** The auth files consulted, in order. */
export function authFiles(o: CredentialOptions = {}): string[] {
  if (o.authfile !== undefined) return [o.authfile];
  const env = o.env ?? process.env;
  const files: string[] = [];
  if (env.REGISTRY_AUTH_FILE) files.push(env.REGISTRY_AUTH_FILE);
  if (env.XDG_RUNTIME_DIR) files.push(join(env.XDG_RUNTIME_DIR, 'containers', 'auth.json'));
  files.push(join(o.home ?? env.HOME ?? homedir(), '.docker', 'config.json'));
  return files;
}

/** Credentials for `registry/repository`, or null (anonymous). */
export function findCredentials(registry: string, repository: string, o: CredentialOptions = {}): Credentials | null {
  if (o.creds !== undefined) return parseCreds(o.creds);
  for (const file of authFiles(o)) {
    const found = credentialsIn(file, registry, repository, o.authfile !== undefined);
    if (found) return found;
  }
  return null;
}

/** Reads one auth file; a missing file is skipped unless it was named with --authfile. */
export function credentialsIn(file: string, registry: string, repository: string, required = false): Credentials | null {
  let text: string;
  try {
    if (statSync(file).size > AUTH_FILE_MAX) throw new CfsError(`auth file larger than ${AUTH_FILE_MAX} bytes`, { file, code: 'EAUTH' });
    text = readFileSync(file, 'utf8');
  } catch (e) {
    if (e instanceof CfsError) throw e;
    if (!required && (e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw new CfsError(`cannot read auth file: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, { file, code: 'EAUTH' });
  }
  return credentialsInText(text, file, registry, repository);
}

/** The entry for `registry/repository` in an auth file's text. */
export function credentialsInText(text: string, file: string, registry: string, repository: string): Credentials | null {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    throw new CfsError(`invalid JSON: ${(e as Error).message}`, { file, code: 'EAUTH' });
  }
  const auths = (doc as { auths?: unknown } | null)?.auths;
  if (auths === undefined) return null;
  if (!auths || typeof auths !== 'object' || Array.isArray(auths)) throw new CfsError("'auths' is not an object", { file, field: 'auths', code: 'EAUTH' });
  let best: { key: string; path: string; entry: unknown } | undefined;
  const wanted = `${registry}/${repository}`;
  for (const [key, entry] of Object.entries(auths as Record<string, unknown>)) {
    const path = key.replace(/^https?:\/\//, '').replace(/\/+$/, '').replace(/\/v[12]$/, '');
    if (path !== registry && !(wanted === path || wanted.startsWith(`${path}/`))) continue;
    if (!best || path.length > best.path.length) best = { key, path, entry };
  }
  if (!best) return null;
  const field = `auths.${best.key}.auth`;
  const auth = (best.entry as { auth?: unknown } | null)?.auth;
  if (typeof auth !== 'string') throw new CfsError('missing or not a string', { file, field, code: 'EAUTH' });
  const plain = Buffer.from(auth, 'base64').toString('utf8');
  const colon = plain.indexOf(':');
  if (colon <= 0 || !/^[A-Za-z0-9+/]*={0,2}$/.test(auth)) throw new CfsError('not base64 of USER:PASS', { file, field, code: 'EAUTH' });
  return { username: plain.slice(0, colon), password: plain.slice(colon + 1) };
}

export interface Challenge {
  scheme: string;
  params: Record<string, string>;
}

/**
 * Parses `WWW-Authenticate`: one or more `Scheme k=v, k="v"` challenges. Bounded by the header's
 * length; malformed parameters end the parse of their challenge.
 */
export function parseChallenges(header: string): Challenge[] {
  if (header.length > CHALLENGE_MAX) throw new CfsError(`WWW-Authenticate longer than ${CHALLENGE_MAX} bytes`, { field: 'WWW-Authenticate', code: 'EAUTH' });
  const out: Challenge[] = [];
  const re = /\s*([A-Za-z][A-Za-z0-9_-]*)(?:\s+|$)/y;
  const param = /\s*([A-Za-z0-9_-]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,"]*))\s*(,?)/y;
  let i = 0;
  while (i < header.length) {
    re.lastIndex = i;
    const m = re.exec(header);
    if (!m) break;
    const ch: Challenge = { scheme: m[1].toLowerCase(), params: {} };
    out.push(ch);
    i = re.lastIndex;
    for (;;) {
      param.lastIndex = i;
      const p = param.exec(header);
      if (!p) break;
      ch.params[p[1].toLowerCase()] = p[2] !== undefined ? p[2].replace(/\\(.)/g, '$1') : p[3];
      i = param.lastIndex;
      if (p[4] !== ',') break;
      // after a comma, anything but another k=v starts the next challenge
      if (!/^\s*[A-Za-z0-9_-]+\s*=/.test(header.slice(i))) break;
    }
    // skip to the next challenge
    while (i < header.length && (header[i] === ',' || header[i] === ' ')) i++;
    if (i < header.length && !/[A-Za-z]/.test(header[i])) break;
  }
  return out;
}

/** `Authorization: Basic …`. */
export const basicAuthorization = (c: Credentials): string => `Basic ${Buffer.from(`${c.username}:${c.password}`).toString('base64')}`;
