/**
 * Staged deployments (spec ostree.md §3.9; docs/FORMAT.md "Staged deployments"): `deploy --stage`
 * on a booted system writes the deployment directory, its origin, image, kernel and initramfs
 * extension, but no boot entry; `/run/ostree/staged-deployment` names it. `finalize-staged`, run at
 * shutdown, redoes the /etc merge from the /etc of that moment and makes it the default. The state
 * file lives in /run: a reboot without finalization forgets it and the old default stays.
 */
import { CfsError } from '../errors.js';
import { BootEntry } from '../formats/bls.js';
import { decode, encode, lookup, type VarDict } from '../formats/gvariant.js';
import { parseKargs, withoutKarg } from '../formats/kargs.js';
import { type Fs, nodeFs, writeFileReplace, ensureDir } from '../io/fs.js';
import type { BootedEnv } from './booted.js';
import type { Deployment } from './deployments.js';
import { deployName, parseDeployName, paths } from './layout.js';
import { readOrigin } from './origin.js';

/** _OSTREE_SYSROOT_RUNSTATE_STAGED and its lock, relative to /run. */
export const STAGED_FILE = 'ostree/staged-deployment';
export const STAGED_LOCKED_FILE = 'ostree/staged-deployment-locked';
/** cfskit's key beside ostree's: the staged deployment's BLS entry (without `ostree=`). */
const ENTRY_KEY = 'cfskit.entry';
const MAX_BYTES = 1024 * 1024;

export const stagedPath = (env: BootedEnv): string => `${env.run}/${STAGED_FILE}`;

const str = (value: string) => ({ type: 's', value });

/** serialize_deployment_to_variant: `name`, `osname`, `bootcsum`. */
function deploymentDict(d: Deployment): VarDict {
  return [['name', str(deployName(d))], ['osname', str(d.stateroot)], ['bootcsum', str(d.bootcsum)]];
}

/** Writes the state file for `staged` (merge: the deployment its /etc is merged from at finalization). */
export function writeStagedState(env: BootedEnv, staged: Deployment, merge: Deployment | undefined, f: Fs = nodeFs): void {
  const dict: VarDict = [['target', { type: 'a{sv}', value: deploymentDict(staged) }]];
  if (merge) dict.push(['merge-deployment', { type: 'a{sv}', value: deploymentDict(merge) }]);
  dict.push(['kargs', { type: 'as', value: withoutKarg(parseKargs(staged.entry.options ?? ''), 'ostree') }]);
  dict.push(['overlay-initrds', { type: 'as', value: staged.overlayInitrds }]);
  dict.push([ENTRY_KEY, str(staged.entry.toString())]);
  ensureDir(f, `${env.run}/ostree`, 0o755);
  writeFileReplace(f, stagedPath(env), encode('a{sv}', dict, 'le'), { mode: 0o644 });
}

export interface StagedState {
  deployment: Deployment;
  merge?: { stateroot: string; csum: string; deployserial: number };
}

/** The staged deployment named by the state file, or undefined when there is none. */
export function readStagedState(sysroot: string, env: BootedEnv, f: Fs = nodeFs): StagedState | undefined {
  const file = stagedPath(env);
  const st = f.stat(file);
  if (!st) return undefined;
  if (st.size > MAX_BYTES) throw new CfsError(`${st.size} bytes, more than the ${MAX_BYTES} a staged state may have`, { file, code: 'ESYSROOT' });
  const dict = decode('a{sv}', f.readFile(file), 'le', file) as VarDict;
  const bad = (field: string, reason: string) => new CfsError(reason, { file, field, code: 'ESYSROOT' });
  const sub = (key: string) => {
    const v = lookup(dict, key);
    if (!v) return undefined;
    if (v.type !== 'a{sv}') throw bad(key, `has type ${v.type}, expected a{sv}`);
    const d = v.value as VarDict;
    const get = (k: string) => {
      const x = lookup(d, k);
      if (x?.type !== 's') throw bad(`${key}.${k}`, 'Missing key');
      return x.value as string;
    };
    const name = parseDeployName(get('name'));
    if (!name) throw bad(`${key}.name`, `invalid deployment name '${get('name')}'`);
    const stateroot = get('osname');
    if (stateroot.includes('/') || stateroot === '' || stateroot === '.' || stateroot === '..') throw bad(`${key}.osname`, `invalid stateroot '${stateroot}'`);
    return { stateroot, ...name, bootcsum: get('bootcsum') };
  };
  const target = sub('target');
  if (!target) throw bad('target', 'Missing key');
  const entryText = lookup(dict, ENTRY_KEY);
  if (entryText?.type !== 's') throw bad(ENTRY_KEY, 'not staged by cfskit (no BLS entry recorded)');
  const entry = BootEntry.parse(entryText.value as string, file);
  const initrds = lookup(dict, 'overlay-initrds');
  const overlayInitrds = initrds?.type === 'as' ? (initrds.value as string[]) : [];
  const origin = readOrigin(paths.origin(sysroot, target.stateroot, target), f);
  const deployment: Deployment = { ...target, bootserial: 0, entry, origin, unlocked: 'none', overlayInitrds, staged: true };
  const merge = sub('merge-deployment');
  return { deployment, merge: merge && { stateroot: merge.stateroot, csum: merge.csum, deployserial: merge.deployserial } };
}
