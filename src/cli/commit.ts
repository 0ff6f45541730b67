/**
 * `cfskit commit --repo R --branch B [options] SOURCE`: build the composefs image of SOURCE (a
 * directory, tar layers, an OCI layout or a dumpfile), store it and its backing files in the
 * repo's `cfs/` store, and commit a stub commit naming it (issue 5 items 3–5; spec ostree.md §6.1).
 * `--image FILE` commits an existing image; `--from-ostree-commit REV` converts an ostree commit.
 */
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { CfsError } from '../errors.js';
import type { SourceSpec } from '../composefs/sources/index.js';
import { loadSource } from '../registry/source.js';
import type { RegistryOptions } from '../composefs/sources/options.js';
import type { Node } from '../tree/tree.js';
import { type ImageInput, commitImage } from '../cfs/commit-image.js';
import { checkoutTree } from '../ostree/checkout-tree.js';
import type { VarDict } from '../formats/gvariant.js';
import { signCommit } from '../sign/commit.js';
import { parseSecretKey } from '../sign/ed25519.js';
import { repoBlobCache } from '../registry/cache.js';
import { provenanceMetadata } from '../registry/provenance.js';
import { isDockerReference } from '../registry/reference.js';
import type { VerbSpec } from './args.js';
import { createProgress } from './progress.js';
import { parseCommand, repoOption } from './repo-args.js';
import { registryOptions } from './registry-args.js';
import { REGISTRY_OPTIONS } from './registry-options.js';

export const spec: VerbSpec = {
  name: 'commit',
  synopsis: ['--repo=PATH --branch=REF [OPTIONS] SOURCE...', '--repo=PATH --branch=REF [OPTIONS] --image=FILE', '--repo=PATH --branch=REF [OPTIONS] --from-ostree-commit=REV'],
  description: `Build the composefs image of SOURCE (a directory, tar layers, an OCI image layout or a
dumpfile), store it and its files in the repository's cfs/ store, and commit a stub commit
naming it on REF. Prints the new commit's checksum. SOURCE may be
docker://HOST[:PORT]/NAME[:TAG|@DIGEST]: pulled (blobs cached in the repo), its reference and
manifest digest recorded in the commit's metadata.`,
  options: {
    repo: { type: 'string', value: 'PATH', help: 'the repository (required)' },
    branch: { type: 'string', short: 'b', value: 'REF', help: 'the branch to commit on (required)' },
    subject: { type: 'string', short: 's', value: 'TEXT', help: 'one-line subject' },
    body: { type: 'string', short: 'm', value: 'TEXT', help: 'full description' },
    version: { type: 'string', value: 'V', help: 'metadata "version"' },
    'add-metadata-string': { type: 'string', multiple: true, value: 'K=V', help: 'extra string metadata' },
    parent: { type: 'string', value: 'REV|none', help: "parent commit (default: the branch's current commit)" },
    source: { type: 'string', value: 'KIND', help: 'SOURCE kind: dir, tar, oci or dump (default: a directory is dir, an OCI\nlayout is oci, *.dump is dump, anything else tar layers)' },
    image: { type: 'string', value: 'FILE', help: 'commit this existing composefs image instead of building one' },
    'from-ostree-commit': { type: 'string', value: 'REV', help: 'convert the ostree commit REV of the repository' },
    'min-version': { type: 'string', value: 'N', help: 'lowest image format version (default 0)' },
    'max-version': { type: 'string', value: 'N', help: 'highest image format version (default 1)' },
    timestamp: { type: 'string', value: 'SECONDS', help: 'commit time (default SOURCE_DATE_EPOCH, else now)' },
    partial: { type: 'boolean', help: 'with --image: accept backing objects the repo does not hold and mark the\ncommit partial (state/CHECKSUM.commitpartial, as ostree marks an incomplete\npull); without it such an image is refused' },
    sign: { type: 'string', multiple: true, value: 'SECRET-KEY', help: 'sign with this base64 ed25519 secret key (as ostree sign)' },
    ...REGISTRY_OPTIONS,
    quiet: { type: 'boolean', short: 'q', help: 'no progress display (drawn only when stderr is a terminal)' },
  },
};

export async function run(args: string[]): Promise<number> {
  const p = parseCommand(args, spec.options, spec);
  if (!p) return 0;
  const v = p.values as Record<string, string | undefined>;
  if (!v.branch) throw usage('--branch is required');
  const inputs = [v.image !== undefined, v['from-ostree-commit'] !== undefined, p.positionals.length > 0].filter(Boolean).length;
  if (inputs !== 1) throw usage('give exactly one of SOURCE, --image or --from-ostree-commit');
  const partial = p.values.partial === true;
  if (partial && v.image === undefined) throw usage('--partial goes with --image');
  const repo = repoOption(p);
  const metadata: VarDict = ((p.values['add-metadata-string'] as string[] | undefined) ?? []).map((kv) => {
    const eq = kv.indexOf('=');
    if (eq <= 0) throw usage(`--add-metadata-string needs KEY=VALUE, got '${kv}'`);
    return [kv.slice(0, eq), { type: 's', value: kv.slice(eq + 1) }];
  });
  const writeOpts = { minVersion: intOption(v['min-version'], 'min-version'), maxVersion: intOption(v['max-version'], 'max-version') };
  const secretKeys = ((p.values.sign as string[] | undefined) ?? []).map(parseSecretKey);
  const timestamp = v.timestamp === undefined ? undefined : BigInt(intOption(v.timestamp, 'timestamp')!);

  const quiet = p.values.quiet === true;
  const input: ImageInput = v.image !== undefined ? { image: v.image }
    : v['from-ostree-commit'] !== undefined ? { load: async (store) => (await checkoutTree(repo, v['from-ostree-commit']!, { store })).root }
    : { load: async (store) => loadWithProgress(await sourceKind(v.source, p.positionals), p.positionals, store.dir, quiet, isDockerReference(p.positionals[0]) ? {
      ...registryOptions((name) => v[name], quiet), cacheDir: repoBlobCache(repo), cacheLocked: true,
      onPulled: (pulled) => metadata.push(...provenanceMetadata(pulled)),
    } : undefined) };
  // commitImage holds the writer lock throughout, so a concurrent prune cannot collect the new objects
  const { checksum } = await commitImage(repo, input, {
    branch: v.branch,
    subject: v.subject,
    body: v.body,
    parent: v.parent === 'none' ? null : v.parent,
    metadata,
    version: v.version,
    timestamp,
    writer: writeOpts,
    partial,
    // signed before the branch moves, so the ref never names an unsigned commit
    beforeRef: secretKeys.length ? (commit) => signCommit(repo, commit, secretKeys) : undefined,
  });
  process.stdout.write(`${checksum}\n`);
  return 0;
}

/** The SOURCE's tree, its files stored in `objects`, with a progress bar on a terminal. */
async function loadWithProgress(kind: SourceSpec['kind'], paths: string[], objects: string, quiet: boolean, registry?: RegistryOptions): Promise<Node> {
  const progress = createProgress({ quiet });
  try {
    return await loadSource({ kind, paths, options: { digestStore: objects, progress, registry } });
  } finally {
    progress?.stop();
  }
}

const usage = (reason: string) => new CfsError(reason, { code: 'EUSAGE' });

function intOption(value: string | undefined, name: string): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value)) throw usage(`--${name} needs a non-negative integer, got '${value}'`);
  return Number(value);
}

async function sourceKind(given: string | undefined, paths: string[]): Promise<SourceSpec['kind']> {
  if (paths.length === 1 && isDockerReference(paths[0]) && (given === undefined || given === 'oci')) return 'oci';
  for (const path of paths) {
    if (path !== '-' && !(await stat(path.replace(/:[^/]*$/, '')).catch(() => stat(path).catch(() => null))))
      throw new CfsError('no such file or directory', { file: path, code: 'ENOENT' });
  }
  if (given !== undefined) {
    if (!['dir', 'tar', 'oci', 'dump'].includes(given)) throw usage(`unknown --source '${given}'`);
    return given as SourceSpec['kind'];
  }
  const first = paths[0];
  if (paths.length === 1 && (await stat(first).catch(() => null))?.isDirectory()) {
    return (await stat(join(first, 'oci-layout')).catch(() => null)) ? 'oci' : 'dir';
  }
  return paths.length === 1 && /\.dump$/.test(first) ? 'dump' : 'tar';
}
