/**
 * One entry point for every image source: a directory, tar layers, an OCI image layout or a
 * dumpfile, each giving the tree the EROFS writer takes (src/tree/tree.ts).
 */
import { stat } from 'node:fs/promises';
import type { Node } from '../../tree/tree.js';
import { CfsError } from '../../errors.js';
import { parseDumpStream } from '../dumpfile/parse.js';
import { ObjectStore } from '../../store/objects.js';
import { loadDirectory } from './dir.js';
import { loadOciLayout } from './oci.js';
import type { RegistryOptions, SourceOptions } from './options.js';
import { applyOverridesFile } from './overrides.js';
import { loadTarLayers, openInput } from './tar.js';

export type { ProgressSink, PullProgress, RegistryOptions, SourceOptions } from './options.js';

export interface LoadOptions extends Omit<SourceOptions, 'store'> {
  /** `--digest-store=DIR`: copy every external file's content there (`XX/REST`, composefs-image.md §4.1.5). */
  digestStore?: string;
  /** `--owner=UID:GID`: every entry gets this owner. */
  owner?: { uid: number; gid: number };
  /** `--use-epoch`: every mtime 0.0. */
  useEpoch?: boolean;
  /** `--overrides=FILE`: per-path mode/owner/mtime/xattrs (overrides.ts), applied last. */
  overrides?: string;
  /** A `docker://` OCI source: registry access and blob cache (src/registry/). */
  registry?: RegistryOptions;
}

export interface SourceSpec {
  /**
   * dir: `paths[0]` is the directory; tar: the layers in order (`-` = stdin); oci: `[oci:]DIR[:TAG]`
   * or, through src/registry/source.ts, `docker://HOST[:PORT]/NAME[:TAG|@DIGEST]`;
   * dump: a dumpfile (`-` = stdin; owner, epoch and overrides do not apply, as mkcomposefs
   * ignores them with --from-file).
   */
  kind: 'dir' | 'tar' | 'oci' | 'dump';
  paths: string[];
  options?: LoadOptions;
}

/** Reads an OCI source reference into a tree; the registry (src/registry/source.ts) adds `docker://`. */
export type OciLoader = (ref: string, opts: SourceOptions) => Promise<Node>;

/** `[oci:]DIR[:TAG]`: an OCI image layout on disk. */
export const loadOciRef: OciLoader = (ref, opts) => loadOciLayout(ref.replace(/^oci:/, ''), opts);

/** Any source but a registry, whose transport sits above this layer: `loadSource` of src/registry/source.ts takes all. */
export async function loadLocalSource(spec: SourceSpec, loadOci: OciLoader = loadOciRef): Promise<Node> {
  const opts = spec.options ?? {};
  const { kind, paths } = spec;
  if (paths.length === 0 || (kind !== 'tar' && paths.length > 1)) {
    throw new CfsError(`a ${kind} source takes ${kind === 'tar' ? 'one or more paths' : 'exactly one path'}`, { code: 'EUSAGE' });
  }
  if (kind === 'dir') {
    const st = await stat(paths[0]).catch((e: NodeJS.ErrnoException) => e);
    if (st instanceof Error) throw new CfsError(`error accessing: ${st.code === 'ENOENT' ? 'no such file or directory' : st.message}`, { file: paths[0], code: 'EDIR' });
    if (!st.isDirectory()) throw new CfsError('error accessing: not a directory', { file: paths[0], code: 'EDIR' });
  }
  if (kind === 'dump') return parseDumpStream(openInput(paths[0]), { file: paths[0], strict: !!process.env.CFS_PARSE_STRICT });
  const store = opts.digestStore ? new ObjectStore(opts.digestStore, { deferWrites: true }) : null;
  const sourceOpts: SourceOptions = { ...opts, store };
  let root: Node;
  try {
    root =
      kind === 'dir' ? await loadDirectory(paths[0], sourceOpts)
      : kind === 'tar' ? await loadTarLayers(paths, sourceOpts)
      : await loadOci(paths[0], sourceOpts);
  } catch (err) {
    // let the object writes still running finish (or clean up) before reporting
    await store?.flush().catch(() => undefined);
    throw err;
  }
  await store?.flush();
  if (opts.owner || opts.useEpoch) forceMetadata(root, opts.owner, opts.useEpoch ?? false);
  if (opts.overrides) await applyOverridesFile(root, opts.overrides);
  return root;
}

/** `--owner` and `--use-epoch` on every inode (aliases share their target's). */
function forceMetadata(root: Node, owner: { uid: number; gid: number } | undefined, epoch: boolean): void {
  const stack = [root];
  while (stack.length > 0) {
    const n = stack.pop()!;
    if (n.children) stack.push(...n.children);
    if (n.linkTo) continue;
    if (owner) {
      n.uid = owner.uid;
      n.gid = owner.gid;
    }
    if (epoch) {
      n.mtimeSec = 0n;
      n.mtimeNsec = 0;
    }
  }
}
