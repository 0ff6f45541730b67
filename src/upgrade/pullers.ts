/**
 * Which transport updates a deployment: the origin's source kind selects a puller
 * (`refspec` → HTTP pull from an ostree remote, `container-image-reference` → a container
 * registry). A puller fetches what the source names into the sysroot's repo and returns the rev
 * `admin deploy` takes for it, and the origin the new deployment gets when not the refspec's.
 */
import { CfsError } from '../errors.js';
import type { RegistryOptions } from '../composefs/sources/options.js';
import { parseRefspec } from '../ostree/refs.js';
import type { Repo } from '../ostree/repo.js';
import { pull, type PullOptions } from '../pull/pull.js';
import { registryOrigin } from './registry-deploy.js';
import { isDockerReference } from '../registry/reference.js';
import { registryCommitFor } from './registry-upgrade.js';
import type { KeyFile } from '../formats/keyfile.js';
import type { OriginSourceKey } from '../sysroot/origin.js';

export interface PullerOptions extends Pick<PullOptions, 'progress' | 'retries' | 'timeoutMs'> {
  /** Only resolve what is already fetched: nothing crosses the network. */
  offline?: boolean;
  /** The commit the deployment runs now. */
  current?: string;
  /** The origin file the source comes from, for errors. */
  originFile?: string;
  /** For `container-image-reference`: the registry flags (tls-verify, authfile, creds, platform). */
  registry?: Pick<RegistryOptions, 'tlsVerify' | 'authfile' | 'creds' | 'platform' | 'pullProgress'>;
}

/** Fetches `value` (unless offline) and returns the rev to deploy; the origin keeps `value`. */
export type Puller = (repo: Repo, value: string, o: PullerOptions) => Promise<{ rev: string; fetched: number; origin?: KeyFile }>;

/** `refspec=REMOTE:REF` pulls REF from REMOTE; a local `REF` has nothing to fetch. */
const pullRefspec: Puller = async (repo, value, o) => {
  const { remote, name } = parseRefspec(value);
  if (remote === null || o.offline) return { rev: value, fetched: 0 };
  const r = await pull(repo, { remote, refs: [name], progress: o.progress, retries: o.retries, timeoutMs: o.timeoutMs });
  return { rev: value, fetched: r.objects };
};

/** `container-image-reference=docker://…`: the current commit while the registry names its manifest, else the image pulled and committed. */
const pullImage: Puller = async (repo, value, o) => {
  if (!isDockerReference(value)) throw new CfsError(`'${value}' is not a docker://HOST/NAME[:TAG|@DIGEST] reference`, { file: o.originFile, field: 'origin.container-image-reference', code: 'EORIGIN' });
  const c = await registryCommitFor(repo, value, { ...o.registry, retries: o.retries, timeoutMs: o.timeoutMs, current: o.current, offline: o.offline });
  return { rev: c.checksum, fetched: c.fetchedBlobs, origin: registryOrigin(c.provenance.reference) };
};

export const PULLERS: Partial<Record<OriginSourceKey, Puller>> = {
  refspec: pullRefspec,
  'container-image-reference': pullImage,
};

export function pullerFor(kind: OriginSourceKey, file: string): Puller {
  const p = PULLERS[kind];
  if (!p) throw new CfsError(`origin '${kind}' is not supported by this cfskit (it updates from: ${Object.keys(PULLERS).join(', ')})`, { file, field: `origin.${kind}`, code: 'EORIGIN' });
  return p;
}
