/**
 * Upgrade (and switch) of a deployment that follows a registry reference: ask the registry which
 * manifest the reference names now; when it is the one the deployment's stub commit records,
 * "No update available" and nothing is fetched; otherwise pull, commit and deploy.
 */
import { CfsError } from '../errors.js';
import type { PullProgress, RegistryOptions } from '../composefs/sources/options.js';
import { readCommit } from '../ostree/commit.js';
import { decodeCommit } from '../ostree/formats.js';
import { listObjects, readMetadata } from '../ostree/objects.js';
import { openRepo, type Repo } from '../ostree/repo.js';
import { loadSysroot, mergeDeployment } from '../sysroot/deployments.js';
import { paths } from '../sysroot/layout.js';
import { withSysrootLock } from '../sysroot/lock.js';
import { ORIGIN_GROUP } from '../sysroot/origin.js';
import { commitRegistryImage, deployRegistryCommit } from './registry-deploy.js';
import { ORIGIN_IMAGE_REFERENCE, type Provenance, commitProvenance } from '../registry/provenance.js';
import { remoteDigest } from '../registry/pull.js';
import { formatReference, parseReference } from '../registry/reference.js';

export interface UpgradeOptions {
  sysroot: string;
  /** The stateroot (default: the booted deployment's, else the default deployment's). */
  osname?: string;
  /** `admin switch`: follow this `docker://` reference from now on. */
  reference?: string;
  /** Pull and commit, do not deploy. */
  pullOnly?: boolean;
  /** Do not contact the registry: deploy the newest commit already pulled for the reference. */
  deployOnly?: boolean;
  tlsVerify?: boolean;
  authfile?: string;
  creds?: string;
  platform?: string;
  timeoutMs?: number;
  retries?: number;
  pullProgress?: PullProgress;
}

export async function upgradeFromRegistry(o: UpgradeOptions): Promise<{ changed: boolean; message: string }> {
  if (o.pullOnly && o.deployOnly) throw new CfsError('--pull-only and --deploy-only cannot be combined', { code: 'EUSAGE' });
  return withSysrootLock(o.sysroot, async () => {
    const state = loadSysroot(o.sysroot);
    const stateroot = o.osname ?? state.booted?.stateroot ?? state.deployments[0]?.stateroot;
    if (stateroot === undefined) throw new CfsError('no deployment to upgrade', { file: o.sysroot, code: 'EUPGRADE' });
    const merge = mergeDeployment(state, stateroot);
    const followed = merge?.origin?.getString(ORIGIN_GROUP, ORIGIN_IMAGE_REFERENCE);
    const given = o.reference ?? followed;
    if (given === undefined) {
      throw new CfsError(`the deployment of '${stateroot}' follows no container image (origin has no ${ORIGIN_IMAGE_REFERENCE})`, { file: o.sysroot, field: ORIGIN_IMAGE_REFERENCE, code: 'EUPGRADE' });
    }
    const repo = openRepo(paths.repo(o.sysroot));
    const registry = { tlsVerify: o.tlsVerify, authfile: o.authfile, creds: o.creds, platform: o.platform, timeoutMs: o.timeoutMs, retries: o.retries, pullProgress: o.pullProgress };
    const commit = await registryCommitFor(repo, given, { ...registry, current: merge?.csum, offline: o.deployOnly });
    if (commit.checksum === merge?.csum) return { changed: false, message: 'No update available' };
    const { reference, manifestDigest } = commit.provenance;
    if (o.pullOnly) return { changed: true, message: `Pulled ${reference} (${manifestDigest}) as ${commit.checksum}` };
    const r = await deployRegistryCommit(commit, { sysroot: o.sysroot, stateroot });
    return { changed: true, message: `Deployed ${r.dir} (composefs=${r.digest})${o.deployOnly ? '' : ` from ${reference} (${manifestDigest})`}` };
  });
}

export interface RegistryCommitOptions extends RegistryOptions {
  /** The stub commit deployed now (the merge deployment's). */
  current?: string;
  /** Do not contact the registry: the newest commit already pulled for the reference. */
  offline?: boolean;
}

/**
 * The stub commit to deploy for `given` (a docker:// reference): `current` when the registry still
 * names the manifest it records; else the image pulled and committed now (offline: the newest
 * commit already pulled). The caller holds the sysroot lock.
 */
export async function registryCommitFor(repo: Repo, given: string, o: RegistryCommitOptions): Promise<{ checksum: string; provenance: Provenance; fetchedBlobs: number }> {
  const reference = formatReference(parseReference(given));
  const { current, offline, ...registry } = o;
  if (offline) {
    const pulled = newestCommitOf(repo, reference);
    if (!pulled) throw new CfsError(`nothing pulled for ${reference} yet (run without --deploy-only)`, { code: 'EUPGRADE' });
    return { ...pulled, fetchedBlobs: 0 };
  }
  const provenance = current === undefined ? undefined : commitProvenance(readCommit(repo, current).commit);
  const digest = await remoteDigest(reference, registry);
  if (current !== undefined && provenance?.reference === reference && (digest === provenance.manifestDigest || digest === provenance.indexDigest)) {
    return { checksum: current, provenance, fetchedBlobs: 0 };
  }
  return commitRegistryImage(repo, reference, registry);
}

/** The newest stub commit in the repo pulled from `reference`. */
function newestCommitOf(repo: Repo, reference: string): { checksum: string; provenance: Provenance } | undefined {
  let best: { checksum: string; provenance: Provenance; timestamp: bigint } | undefined;
  for (const { checksum } of listObjects(repo, 'commit')) {
    let commit;
    try {
      commit = decodeCommit(readMetadata(repo, 'commit', checksum));
    } catch {
      continue;
    }
    const provenance = commitProvenance(commit);
    if (provenance?.reference === reference && (!best || commit.timestamp > best.timestamp)) best = { checksum, provenance, timestamp: commit.timestamp };
  }
  return best;
}
