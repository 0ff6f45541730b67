/**
 * Reading the deployment list the way `ostree admin status` does (ostree.md §3.8) and computing new
 * lists (ostree.md §3.9). The list is defined by the current `boot/loader.<B>/entries/` and the bootlinks
 * their `ostree=` arguments name.
 */
import { CfsError } from '../errors.js';
import { BootEntry, compareEntries, isEntryFileName } from '../formats/bls.js';
import { type Fs, nodeFs } from '../io/fs.js';
import { type BootedEnv, HOST_ENV, findBooted } from './booted.js';
import { readStagedState } from './staged.js';
import type { KeyFile } from '../formats/keyfile.js';
import { parseKargs } from '../formats/kargs.js';
import { type Bootlink, parseDeployName, parseOstreeKarg, paths } from './layout.js';
import { isPinned, readOrigin } from './origin.js';

export type UnlockedState = 'none' | 'hotfix' | 'development' | 'transient';

export interface Deployment {
  stateroot: string;
  /** Commit checksum (for composefs deployments: the stub commit). */
  csum: string;
  deployserial: number;
  bootcsum: string;
  /** Position among deployments with the same bootcsum (assigned when writing, ostree.md §3.6). */
  bootserial: number;
  /** The BLS entry: its `options` carry the kernel arguments, `linux`/`initrd` the boot files. */
  entry: BootEntry;
  origin?: KeyFile;
  unlocked: UnlockedState;
  /** sha256 names of overlay initrds (2nd+ `initrd` lines, ostree.md §3.8 step 5). */
  overlayInitrds: string[];
  /** Staged (staged.ts): written, with no boot entry until finalize-staged. */
  staged?: boolean;
}

export interface SysrootState {
  bootversion: number;
  subbootversion: number;
  /** In boot order: index 0 is the default. */
  deployments: Deployment[];
  booted?: Deployment;
}

const errno = (e: unknown) => (e as NodeJS.ErrnoException).code;
const OVERLAY_INITRD = /^\/ostree\/initramfs-overlays\/([0-9a-f]{64})\.img$/;

/** `read_current_bootversion`: `boot/loader` → `loader.0` | `loader.1`; missing → 0 (ostree.md §3.7). */
export function readBootversion(sysroot: string, f: Fs = nodeFs): number {
  const link = paths.bootLoaderLink(sysroot);
  const st = f.lstat(link);
  if (!st) return 0;
  if (!st.isSymbolicLink()) throw new CfsError('not a symbolic link', { file: link, code: 'ESYSROOT' });
  const target = f.readlink(link)!.toString();
  if (target === 'loader.0') return 0;
  if (target === 'loader.1') return 1;
  throw new CfsError(`invalid target '${target}'`, { file: link, code: 'ESYSROOT' });
}

/** `_ostree_sysroot_read_current_subbootversion`: `ostree/boot.<B>` → `*.0` | `*.1`; missing → 0. */
export function readSubbootversion(sysroot: string, bootversion: number, f: Fs = nodeFs): number {
  const link = paths.bootlinkLink(sysroot, bootversion);
  const target = f.lstat(link) ? f.readlink(link)?.toString() : undefined;
  if (target === undefined) return 0;
  if (target.endsWith('.0')) return 0;
  if (target.endsWith('.1')) return 1;
  throw new CfsError(`invalid target '${target}'`, { file: link, code: 'ESYSROOT' });
}

/** The BLS entries of bootversion B, in ostree's order (ostree.md §3.8 step 4). */
export function readEntries(sysroot: string, bootversion: number, f: Fs = nodeFs): { file: string; entry: BootEntry }[] {
  const dir = paths.entries(sysroot, bootversion);
  let names: string[];
  try {
    names = f.readdir(dir).map((b) => b.toString('latin1'));
  } catch (e) {
    if (errno(e) === 'ENOENT') return [];
    throw e;
  }
  const out: { file: string; entry: BootEntry }[] = [];
  for (const name of names.sort()) {
    if (!isEntryFileName(name)) continue;
    const file = `${dir}/${name}`;
    if (!f.lstat(file)?.isFile()) continue;
    out.push({ file, entry: BootEntry.parse(f.readFile(file), file) });
  }
  return out.sort((a, b) => compareEntries(a.entry, b.entry));
}

/** The first `ostree=` argument of `options` (split on spaces, as ostree does). */
export function ostreeArg(entry: BootEntry): string | undefined {
  for (const opt of (entry.options ?? '').split(' ')) if (opt.startsWith('ostree=')) return opt.slice(7);
  return undefined;
}

/** Loads the deployment list (ostree.md §3.8); `env` is where the running system is seen from (booted.ts). */
export function loadSysroot(sysroot: string, f: Fs = nodeFs, env: BootedEnv = HOST_ENV): SysrootState {
  if (!f.stat(paths.repo(sysroot))?.isDirectory()) {
    throw new CfsError('not an ostree sysroot (no ostree/repo)', { file: sysroot, code: 'ESYSROOT' });
  }
  const bootversion = readBootversion(sysroot, f);
  const subbootversion = readSubbootversion(sysroot, bootversion, f);
  const deployments = readEntries(sysroot, bootversion, f).map(({ file, entry }) => parseDeployment(sysroot, file, entry, f, env));
  const booted = findBooted(sysroot, deployments, env, f);
  // ostree.md §3.8 step 6: a booted system's staged deployment comes first
  const staged = booted ? readStagedState(sysroot, env, f)?.deployment : undefined;
  return { bootversion, subbootversion, deployments: staged ? [staged, ...deployments] : deployments, booted };
}

function parseDeployment(sysroot: string, file: string, entry: BootEntry, f: Fs, env: BootedEnv): Deployment {
  const arg = ostreeArg(entry);
  if (arg === undefined) throw new CfsError('No ostree= kernel argument found', { file, field: 'options', code: 'ESYSROOT' });
  const link: Bootlink | undefined = parseOstreeKarg(arg);
  if (!link) throw new CfsError(`invalid ostree= argument '${arg}'`, { file, field: 'options', code: 'ESYSROOT' });
  const linkPath = `${sysroot}${arg}`;
  const target = f.readlink(linkPath)?.toString();
  if (target === undefined) throw new CfsError(`bootlink ${arg} is missing or not a symlink`, { file, field: 'options', code: 'ESYSROOT' });
  const base = target.slice(target.lastIndexOf('/') + 1);
  const name = parseDeployName(base);
  if (!name) throw new CfsError(`invalid deployment name '${base}' (bootlink ${arg})`, { file, code: 'ESYSROOT' });
  const dir = paths.deployment(sysroot, link.stateroot, name);
  if (!f.stat(linkPath)?.isDirectory()) {
    throw new CfsError(`deployment directory ${dir} does not exist (bootlink ${arg})`, { file, code: 'ESYSROOT' });
  }
  const origin = readOrigin(paths.origin(sysroot, link.stateroot, name), f);
  return {
    stateroot: link.stateroot,
    csum: name.csum,
    deployserial: name.deployserial,
    bootcsum: link.bootcsum,
    bootserial: link.bootserial,
    entry,
    origin,
    unlocked: unlockedState(base, origin, f, env),
    overlayInitrds: entry.initrds.slice(1).flatMap((p) => OVERLAY_INITRD.exec(p)?.[1] ?? []),
  };
}

function unlockedState(name: string, origin: KeyFile | undefined, f: Fs, env: BootedEnv): UnlockedState {
  const run = `${env.run}/ostree/deployment-state/${name}`;
  if (f.lstat(`${run}/unlocked-development`)) return 'development';
  if (f.lstat(`${run}/unlocked-transient`)) return 'transient';
  return origin?.getValue('origin', 'unlocked') === 'hotfix' ? 'hotfix' : 'none';
}

export const deploymentPath = (sysroot: string, d: Deployment): string => paths.deployment(sysroot, d.stateroot, d);
export const sameDeployment = (a: Deployment, b: Deployment): boolean =>
  a.stateroot === b.stateroot && a.csum === b.csum && a.deployserial === b.deployserial;
export const deploymentPinned = (d: Deployment): boolean => isPinned(d.origin);

/** ostree_sysroot_query_deployments_for: pending/rollback around the booted deployment (ostree.md §3.8). */
export function pendingAndRollback(state: SysrootState): { pending?: Deployment; rollback?: Deployment } {
  const booted = state.booted;
  if (!booted) return {};
  let pending: Deployment | undefined;
  let rollback: Deployment | undefined;
  let found = false;
  for (const d of state.deployments) {
    if (d.stateroot !== booted.stateroot || d.staged) continue;
    if (sameDeployment(d, booted)) {
      found = true;
      continue;
    }
    if (!found && !pending) pending = d;
    if (found && !rollback) rollback = d;
  }
  return { pending, rollback };
}

/** ostree_sysroot_get_merge_deployment: booted if in the stateroot, else its first deployment. */
export function mergeDeployment(state: SysrootState, stateroot: string): Deployment | undefined {
  if (state.booted?.stateroot === stateroot) return state.booted;
  return state.deployments.find((d) => d.stateroot === stateroot);
}

/** assign_bootserials: count of earlier deployments with the same bootcsum (ostree.md §3.6). */
export function assignBootserials(list: Deployment[]): void {
  const seen = new Map<string, number>();
  for (const d of list) {
    const n = seen.get(d.bootcsum) ?? 0;
    d.bootserial = n;
    seen.set(d.bootcsum, n + 1);
  }
}

/** Next deployserial for a commit in a stateroot: 1 + max of existing dirs, else 0 (ostree.md §3.3). */
export function allocateDeployserial(sysroot: string, stateroot: string, csum: string, f: Fs = nodeFs): number {
  let max = -1;
  let names: Buffer[] = [];
  try {
    names = f.readdir(paths.deployDir(sysroot, stateroot));
  } catch (e) {
    if (errno(e) !== 'ENOENT') throw e;
  }
  for (const b of names) {
    const n = parseDeployName(b.toString('latin1'));
    if (n && n.csum === csum) max = Math.max(max, n.deployserial);
  }
  return max + 1;
}

export interface DeployListOptions {
  /** Keep every current deployment (`--retain`). */
  retain?: boolean;
  /** Insert after the booted/merge deployment instead of first (`--not-as-default`). */
  notAsDefault?: boolean;
}

/**
 * ostree_sysroot_simple_write_deployment (ostree.md §3.9): [new] + current deployments that are pinned,
 * of another stateroot, booted, or the merge deployment (all with `retain`).
 */
export function listWithNewDeployment(state: SysrootState, added: Deployment, opts: DeployListOptions = {}): Deployment[] {
  const merge = mergeDeployment(state, added.stateroot);
  const isKey = (d: Deployment) =>
    (state.booted !== undefined && sameDeployment(d, state.booted)) || (merge !== undefined && sameDeployment(d, merge));
  const kept = state.deployments.filter(
    (d) => opts.retain || deploymentPinned(d) || d.stateroot !== added.stateroot || isKey(d),
  );
  if (!opts.notAsDefault) return [added, ...kept];
  const anchor = kept.findIndex(isKey);
  return [...kept.slice(0, anchor + 1), added, ...kept.slice(anchor + 1)];
}

/** `undeploy INDEX`: the list without that deployment; the booted one cannot be removed. */
export function listWithout(state: SysrootState, index: number): Deployment[] {
  const d = state.deployments[index];
  if (!d) throw new CfsError(`no deployment at index ${index} (there are ${state.deployments.length})`, { field: 'INDEX', code: 'ESYSROOT' });
  if (state.booted && sameDeployment(d, state.booted)) {
    throw new CfsError(`Cannot undeploy currently booted deployment ${index}`, { field: 'INDEX', code: 'ESYSROOT' });
  }
  return state.deployments.filter((_, i) => i !== index);
}

/** `set-default INDEX` (main): the deployment moved to index 0. */
export function listWithDefault(state: SysrootState, index: number): Deployment[] {
  const d = state.deployments[index];
  if (!d) throw new CfsError(`no deployment at index ${index} (there are ${state.deployments.length})`, { field: 'INDEX', code: 'ESYSROOT' });
  return [d, ...state.deployments.filter((_, i) => i !== index)];
}
