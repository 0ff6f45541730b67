/**
 * Changes to the deployment list and its boot configuration (spec ostree.md §3.9), each under the
 * sysroot lock and followed, as in ostree's CLI, by a cleanup (cleanup.ts, without the store GC):
 * `undeploy INDEX`, `rollback`, `set-default INDEX`, `pin`/`unpin INDEX`, `kargs`.
 */
import { CfsError } from '../errors.js';
import { COMPOSEFS_KARG } from './cfs-image.js';
import { cleanupLocked } from './cleanup.js';
import {
  type Deployment, type SysrootState, listWithDefault, listWithout, loadSysroot, pendingAndRollback,
} from './deployments.js';
import { type Fs, nodeFs } from '../io/fs.js';
import { KeyFile } from '../formats/keyfile.js';
import { formatKargs, kargKey, parseKargs, replaceKarg } from '../formats/kargs.js';
import { paths } from './layout.js';
import { withSysrootLock } from './lock.js';
import type { BootedEnv } from './booted.js';
import { setPinned, writeOrigin } from './origin.js';
import { type SwapKind, writeDeployments } from './boot/swap.js';

export interface OperationOptions {
  fs?: Fs;
  /** The caller holds the sysroot lock already. */
  locked?: boolean;
  /** Skip the cleanup after writing (ostree's `--no-prune`/finalize behaviour). */
  noCleanup?: boolean;
  /** Where the running system is seen from (booted.ts; default the host's). */
  env?: BootedEnv;
}

/** Runs `change` on the loaded state under the lock, writes the new list, then cleans up. */
async function rewrite(sysroot: string, o: OperationOptions, change: (s: SysrootState) => Deployment[]): Promise<SwapKind> {
  const run = () => {
    const f = o.fs ?? nodeFs;
    const kind = writeDeployments(sysroot, change(loadSysroot(sysroot, f, o.env)), { fs: f, env: o.env });
    if (!o.noCleanup) cleanupLocked(sysroot, f, o.env);
    return kind;
  };
  return o.locked ? run() : withSysrootLock(sysroot, run);
}

/** `undeploy INDEX`: removes a deployment (not the booted one). */
export const undeploy = (sysroot: string, index: number, o: OperationOptions = {}) => rewrite(sysroot, o, (s) => listWithout(s, index));

/** `set-default INDEX` (ostree main): that deployment moves to index 0. */
export const setDefault = (sysroot: string, index: number, o: OperationOptions = {}) => rewrite(sysroot, o, (s) => listWithDefault(s, index));

/**
 * The deployment `rollback` makes the default: the rollback deployment when booted (ostree.md §3.8),
 * else the next deployment of the default's stateroot.
 */
export function rollbackIndex(state: SysrootState): number {
  const target = state.booted ? pendingAndRollback(state).rollback : state.deployments.slice(1).find((d) => d.stateroot === state.deployments[0]?.stateroot);
  const index = target ? state.deployments.indexOf(target) : -1;
  if (index < 0) throw new CfsError('no rollback deployment', { code: 'ESYSROOT' });
  return index;
}

/** `rollback` (rpm-ostree/bootc terms): the rollback deployment becomes the default. */
export const rollback = (sysroot: string, o: OperationOptions = {}) => rewrite(sysroot, o, (s) => listWithDefault(s, rollbackIndex(s)));

/** `pin INDEX` / `unpin INDEX`: `libostree-transient.pinned` in the `.origin` (ostree.md §3.9). */
export async function pin(sysroot: string, index: number, pinned: boolean, o: OperationOptions = {}): Promise<void> {
  const run = () => {
    const f = o.fs ?? nodeFs;
    const d = loadSysroot(sysroot, f, o.env).deployments[index];
    if (!d) throw new CfsError(`no deployment at index ${index}`, { field: 'INDEX', code: 'ESYSROOT' });
    const origin = d.origin ?? new KeyFile();
    setPinned(origin, pinned);
    writeOrigin(paths.origin(sysroot, d.stateroot, d), origin, f);
    const now = Date.now() / 1000;
    f.lutimes(paths.deployRoot(sysroot), now, now);
  };
  return o.locked ? run() : withSysrootLock(sysroot, run);
}

export interface KargsEdit {
  append?: string[];
  /** `K` (the only value of K) or `K=V` (that value). */
  delete?: string[];
  /** `K=V`: every value of K replaced by V. */
  replace?: string[];
}

/** Keys only the deploy code sets: they name the deployment and its image. */
const PROTECTED = ['ostree', COMPOSEFS_KARG];

/** ostree_kernel_args_delete: an exact `K=V`, or `K` when it has a single value. */
function deleteKarg(args: string[], arg: string): string[] {
  if (arg.includes('=')) {
    const i = args.indexOf(arg);
    if (i < 0) throw new CfsError(`kernel argument '${arg}' not found`, { field: 'delete', code: 'EKARGS' });
    return args.filter((_, j) => j !== i);
  }
  const hits = args.filter((a) => kargKey(a) === arg);
  if (hits.length === 0) throw new CfsError(`kernel argument '${arg}' not found`, { field: 'delete', code: 'EKARGS' });
  if (hits.length > 1) throw new CfsError(`multiple values for key '${arg}'`, { field: 'delete', code: 'EKARGS' });
  return args.filter((a) => kargKey(a) !== arg);
}

/** The edited command line of `d` (ostree= is rewritten by the swap). */
export function editKargs(options: string, edit: KargsEdit): string {
  for (const a of [...(edit.append ?? []), ...(edit.delete ?? []), ...(edit.replace ?? [])]) {
    if (PROTECTED.includes(kargKey(a))) throw new CfsError(`'${kargKey(a)}=' is set by deploy and cannot be edited`, { field: a, code: 'EKARGS' });
  }
  let args = parseKargs(options);
  for (const a of edit.delete ?? []) args = deleteKarg(args, a);
  for (const a of edit.replace ?? []) args = replaceKarg(args, a);
  args.push(...(edit.append ?? []));
  return formatKargs(args);
}

/** `kargs`: edits the kernel command line of deployment `index` (default 0); writes a new bootversion. */
export const kargs = (sysroot: string, edit: KargsEdit, index = 0, o: OperationOptions = {}) =>
  rewrite(sysroot, o, (s) => {
    const d = s.deployments[index];
    if (!d) throw new CfsError(`no deployment at index ${index}`, { field: 'INDEX', code: 'ESYSROOT' });
    d.entry.set('options', editKargs(d.entry.options ?? '', edit));
    return s.deployments;
  });
