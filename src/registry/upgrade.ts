/**
 * Upgrade (and switch) of a deployment that follows a registry reference: ask the registry which
 * manifest the reference names now; when it is the one the deployment's stub commit records,
 * "No update available" and nothing is fetched; otherwise pull, commit and deploy.
 */
import { CfsError } from '../errors.js';
import type { PullProgress } from '../composefs/sources/options.js';
import { readCommit } from '../ostree/commit.js';
import { decodeCommit } from '../ostree/formats.js';
import { listObjects, readMetadata } from '../ostree/objects.js';
import { openRepo, type Repo } from '../ostree/repo.js';
import { loadSysroot, mergeDeployment } from '../sysroot/deployments.js';
import { paths } from '../sysroot/layout.js';
import { withSysrootLock } from '../sysroot/lock.js';
import { ORIGIN_GROUP } from '../sysroot/origin.js';
import { commitRegistryImage, deployRegistryCommit } from './deploy.js';
import { ORIGIN_IMAGE_REFERENCE, type Provenance, commitProvenance } from './provenance.js';
import { remoteDigest } from './pull.js';
import { formatReference, parseReference } from './reference.js';

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
    const reference = formatReference(parseReference(given));
    const repo = openRepo(paths.repo(o.sysroot));
    const current = merge ? commitProvenance(readCommit(repo, merge.csum).commit) : undefined;
    const deployOpts = { sysroot: o.sysroot, stateroot };

    if (o.deployOnly) {
      const pulled = newestCommitOf(repo, reference);
      if (!pulled) throw new CfsError(`nothing pulled for ${reference} yet (run without --deploy-only)`, { code: 'EUPGRADE' });
      if (pulled.checksum === merge?.csum) return { changed: false, message: 'No update available' };
      const r = await deployRegistryCommit(pulled, deployOpts);
      return { changed: true, message: `Deployed ${r.dir} (composefs=${r.digest})` };
    }
    const registry = { tlsVerify: o.tlsVerify, authfile: o.authfile, creds: o.creds, platform: o.platform, timeoutMs: o.timeoutMs, retries: o.retries };
    const digest = await remoteDigest(reference, registry);
    if (current?.reference === reference && (digest === current.manifestDigest || digest === current.indexDigest)) {
      return { changed: false, message: 'No update available' };
    }
    const commit = await commitRegistryImage(repo, reference, { ...registry, pullProgress: o.pullProgress });
    if (o.pullOnly) return { changed: true, message: `Pulled ${reference} (${commit.provenance.manifestDigest}) as ${commit.checksum}` };
    const r = await deployRegistryCommit(commit, deployOpts);
    return { changed: true, message: `Deployed ${r.dir} (composefs=${r.digest}) from ${reference} (${commit.provenance.manifestDigest})` };
  });
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
