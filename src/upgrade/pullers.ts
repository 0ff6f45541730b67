/**
 * Which transport updates a deployment: the origin's source kind selects a puller
 * (`refspec` → HTTP pull from an ostree remote). A puller fetches what the source names into the
 * sysroot's repo and returns the rev `admin deploy` takes for it; other kinds (a container
 * registry's `container-image-reference`) register here.
 */
import { CfsError } from '../errors.js';
import { parseRefspec } from '../ostree/refs.js';
import type { Repo } from '../ostree/repo.js';
import { pull, type PullOptions } from '../pull/pull.js';
import type { OriginSourceKey } from '../sysroot/origin.js';

export interface PullerOptions extends Pick<PullOptions, 'progress' | 'retries' | 'timeoutMs'> {
  /** Only resolve what is already fetched: nothing crosses the network. */
  offline?: boolean;
}

/** Fetches `value` (unless offline) and returns the rev to deploy; the origin keeps `value`. */
export type Puller = (repo: Repo, value: string, o: PullerOptions) => Promise<{ rev: string; fetched: number }>;

/** `refspec=REMOTE:REF` pulls REF from REMOTE; a local `REF` has nothing to fetch. */
const pullRefspec: Puller = async (repo, value, o) => {
  const { remote, name } = parseRefspec(value);
  if (remote === null || o.offline) return { rev: value, fetched: 0 };
  const r = await pull(repo, { remote, refs: [name], progress: o.progress, retries: o.retries, timeoutMs: o.timeoutMs });
  return { rev: value, fetched: r.objects };
};

export const PULLERS: Partial<Record<OriginSourceKey, Puller>> = {
  refspec: pullRefspec,
};

export function pullerFor(kind: OriginSourceKey, file: string): Puller {
  const p = PULLERS[kind];
  if (!p) throw new CfsError(`origin '${kind}' is not supported by this cfskit (it updates from: ${Object.keys(PULLERS).join(', ')})`, { file, field: `origin.${kind}`, code: 'EORIGIN' });
  return p;
}
