/**
 * `cfskit commit --repo R --branch B [options] SOURCE`: build the composefs image of SOURCE (a
 * directory, tar layers, an OCI layout or a dumpfile), store it and its backing files in the
 * repo's `cfs/` store, and commit a stub commit naming it (issue 5 items 3–5; spec ostree.md §6.1).
 * `--image FILE` commits an existing image; `--from-ostree-commit REV` converts an ostree commit.
 */
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { CfsError } from '../errors.js';
import { buildImage } from '../composefs/index.js';
import { readImage, readImageHeader } from '../composefs/erofs/reader.js';
import { loadSource, type SourceSpec } from '../composefs/sources/index.js';
import type { Node } from '../composefs/tree.js';
import { openCfs, storeImage } from '../cfs/store.js';
import { ObjectStore } from '../store/objects.js';
import { checkoutTree } from '../ostree/checkout-tree.js';
import { writeStubCommit } from '../ostree/commit.js';
import type { VarDict } from '../ostree/gvariant.js';
import { withRepoLock } from '../ostree/lock.js';
import { autoUpdateSummary } from '../ostree/summary.js';
import { signCommit } from '../sign/commit.js';
import { parseSecretKey } from '../sign/ed25519.js';
import { writeRef } from '../ostree/refs.js';
import { findKernel } from '../sysroot/bootcsum.js';
import { parseCommand, repoOption } from './repo-args.js';

const USAGE = `Usage: cfskit commit --repo=PATH --branch=REF [OPTIONS] SOURCE...
       cfskit commit --repo=PATH --branch=REF [OPTIONS] --image=FILE
       cfskit commit --repo=PATH --branch=REF [OPTIONS] --from-ostree-commit=REV

Options:
  -s, --subject=TEXT            one-line subject
  -m, --body=TEXT               full description
      --version=V               metadata "version"
      --add-metadata-string=K=V extra string metadata (repeatable)
      --parent=REV|none         parent commit (default: the branch's current commit)
      --source=dir|tar|oci|dump SOURCE kind (default: a directory is dir, an OCI layout is oci,
                                *.dump is dump, anything else tar layers)
      --min-version=N --max-version=N   image format versions (default 0 and 1)
      --timestamp=SECONDS       commit time (default SOURCE_DATE_EPOCH, else now)
      --sign=SECRET-KEY         sign with this base64 ed25519 secret key (repeatable)
`;

export async function run(args: string[]): Promise<number> {
  const p = parseCommand(args, {
    repo: { type: 'string' },
    branch: { type: 'string', short: 'b' },
    subject: { type: 'string', short: 's' },
    body: { type: 'string', short: 'm' },
    version: { type: 'string' },
    'add-metadata-string': { type: 'string', multiple: true },
    parent: { type: 'string' },
    source: { type: 'string' },
    image: { type: 'string' },
    'from-ostree-commit': { type: 'string' },
    'min-version': { type: 'string' },
    'max-version': { type: 'string' },
    timestamp: { type: 'string' },
    sign: { type: 'string', multiple: true },
  }, USAGE);
  if (!p) return 0;
  const v = p.values as Record<string, string | undefined>;
  if (!v.branch) throw usage('--branch is required');
  const inputs = [v.image !== undefined, v['from-ostree-commit'] !== undefined, p.positionals.length > 0].filter(Boolean).length;
  if (inputs !== 1) throw usage('give exactly one of SOURCE, --image or --from-ostree-commit');
  const repo = repoOption(p, USAGE);
  const metadata: VarDict = ((p.values['add-metadata-string'] as string[] | undefined) ?? []).map((kv) => {
    const eq = kv.indexOf('=');
    if (eq <= 0) throw usage(`--add-metadata-string needs KEY=VALUE, got '${kv}'`);
    return [kv.slice(0, eq), { type: 's', value: kv.slice(eq + 1) }];
  });
  const writeOpts = { minVersion: intOption(v['min-version'], 'min-version'), maxVersion: intOption(v['max-version'], 'max-version') };
  const secretKeys = ((p.values.sign as string[] | undefined) ?? []).map(parseSecretKey);
  const timestamp = v.timestamp === undefined ? undefined : BigInt(intOption(v.timestamp, 'timestamp')!);

  // Everything under the writer lock, so a concurrent prune cannot collect the new objects.
  const checksum = await withRepoLock(repo, async () => {
    const cfs = await openCfs(repo);
    let image: Uint8Array;
    let formatVersion: number;
    let root: Node;
    if (v.image !== undefined) {
      image = await readFile(v.image);
      formatVersion = readImageHeader(image, { file: v.image }).composefsVersion;
      root = readImage(image, { file: v.image });
    } else {
      root = v['from-ostree-commit'] !== undefined
        ? (await checkoutTree(repo, v['from-ostree-commit'], { store: new ObjectStore(cfs.objects) })).root
        : await loadSource({ kind: await sourceKind(v.source, p.positionals), paths: p.positionals, options: { digestStore: cfs.objects } });
      ({ image, version: formatVersion } = buildImage(root, writeOpts));
    }
    const hex = await storeImage(repo, image);
    const commit = writeStubCommit(repo, {
      branch: v.branch!,
      subject: v.subject,
      body: v.body,
      parent: v.parent === 'none' ? null : v.parent,
      metadata,
      imageDigest: new Uint8Array(Buffer.from(hex, 'hex')),
      formatVersion,
      version: v.version,
      kernelVersion: findKernel(root)?.kver,
      timestamp,
      keepRef: true,
    });
    // signed before the branch moves, so the ref never names an unsigned commit
    if (secretKeys.length) signCommit(repo, commit, secretKeys);
    writeRef(repo, v.branch!, commit);
    autoUpdateSummary(repo);
    return commit;
  });
  process.stdout.write(`${checksum}\n`);
  return 0;
}

const usage = (reason: string) => new CfsError(`${reason}\n${USAGE}`, { code: 'EUSAGE' });

function intOption(value: string | undefined, name: string): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value)) throw usage(`--${name} needs a non-negative integer, got '${value}'`);
  return Number(value);
}

async function sourceKind(given: string | undefined, paths: string[]): Promise<SourceSpec['kind']> {
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
