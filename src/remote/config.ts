/**
 * Remotes in the repository's `config`, as ostree stores them: one group `[remote "NAME"]` per
 * remote with `url=`, `branches=` (a GLib string list, `a;b;`), `gpg-verify=`, `sign-verify=`,
 * `verification-ed25519-key=` (base64 public keys) and `verification-ed25519-file=` (a file of
 * them, one per line), plus any `--set` key. The config is rewritten with temp + rename.
 */
import { join } from 'node:path';
import { CfsError } from '../errors.js';
import { writeFileAtomic } from '../io/atomic.js';
import { type Repo, repoFs } from '../ostree/repo.js';

const GROUP = /^remote "(.*)"$/;
/** ostree_validate_remote_name: the characters of a ref component. */
const REMOTE_NAME = /^[A-Za-z0-9_][-._A-Za-z0-9_]*$/;

export const REMOTE_KEYS = {
  url: 'url',
  branches: 'branches',
  gpgVerify: 'gpg-verify',
  signVerify: 'sign-verify',
  ed25519Key: 'verification-ed25519-key',
  ed25519File: 'verification-ed25519-file',
} as const;

export interface Remote {
  name: string;
  url: string;
  branches: string[];
  /** `sign-verify`: true, false, or the sign types listed (`ed25519`). */
  signVerify: boolean;
  /** Inline base64 ed25519 public keys (`verification-ed25519-key`, `;`-separated). */
  ed25519Keys: string[];
  /** `verification-ed25519-file`: a file of base64 public keys, one per line. */
  ed25519File?: string;
}

export const remoteGroup = (name: string): string => `remote "${name}"`;

export function checkRemoteName(name: string): string {
  if (!REMOTE_NAME.test(name)) throw new CfsError(`invalid remote name '${name}'`, { field: 'remote', code: 'EREMOTE' });
  return name;
}

/** Remote names in the config, sorted (as `ostree remote list`). */
export function listRemotes(repo: Repo): string[] {
  return repo.config.groupNames().map((g) => GROUP.exec(g)?.[1]).filter((n): n is string => n !== undefined).sort();
}

export function hasRemote(repo: Repo, name: string): boolean {
  return repo.config.hasGroup(remoteGroup(name));
}

/** Reads a remote; `Remote "NAME" not found` (ostree's words) when there is none. */
export function readRemote(repo: Repo, name: string): Remote {
  const group = remoteGroup(checkRemoteName(name));
  const kf = repo.config;
  const file = join(repo.path, 'config');
  if (!kf.hasGroup(group)) throw new CfsError(`Remote "${name}" not found`, { file, code: 'EREMOTE' });
  const url = kf.getString(group, REMOTE_KEYS.url);
  if (!url) throw new CfsError('no url', { file, field: `${group}.url`, code: 'EREMOTE' });
  const sign = kf.getValue(group, REMOTE_KEYS.signVerify)?.trim();
  let signVerify: boolean;
  if (sign === undefined || sign === 'false' || sign === '0') signVerify = false;
  else if (sign === 'true' || sign === '1' || sign.split(/[;,]/).includes('ed25519')) signVerify = true;
  else throw new CfsError(`unsupported sign type(s) '${sign}' (cfskit verifies ed25519)`, { file, field: `${group}.sign-verify`, code: 'EREMOTE' });
  return {
    name,
    url,
    branches: stringList(kf.getString(group, REMOTE_KEYS.branches)),
    signVerify,
    ed25519Keys: stringList(kf.getString(group, REMOTE_KEYS.ed25519Key)),
    ed25519File: kf.getString(group, REMOTE_KEYS.ed25519File) || undefined,
  };
}

/** A GLib string list value `a;b;` (a trailing `;` optional). */
function stringList(v: string | undefined): string[] {
  return (v ?? '').split(';').filter((s) => s !== '');
}

/**
 * Adds `[remote "NAME"]` with `url`, then `options` in the order given (as `ostree remote add`
 * writes them: branches, --set keys, gpg-verify, sign-verify, verification keys).
 */
export function addRemote(repo: Repo, name: string, url: string, options: [string, string][]): void {
  const group = remoteGroup(checkRemoteName(name));
  if (repo.config.hasGroup(group)) throw new CfsError(`Remote configuration for "${name}" already exists: (in config)`, { code: 'EREMOTE' });
  repo.config.setString(group, REMOTE_KEYS.url, url);
  for (const [k, v] of options) repo.config.setString(group, k, v);
  saveConfig(repo);
}

export function deleteRemote(repo: Repo, name: string): void {
  if (!repo.config.removeGroup(remoteGroup(checkRemoteName(name)))) throw new CfsError(`Remote "${name}" not found`, { code: 'EREMOTE' });
  saveConfig(repo);
}

/** Rewrites `config` from the repo's keyfile (temp + fsync + rename). */
export function saveConfig(repo: Repo): void {
  writeFileAtomic(join(repo.path, 'config'), repo.config.toString(), { tmpDir: repo.tmpDir, fs: repoFs(repo) });
}
