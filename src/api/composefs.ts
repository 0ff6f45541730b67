/**
 * `cfskit/composefs`: composefs images. Sources (directory, tar layers, OCI layouts, dumpfiles,
 * docker:// references) become a tree, a tree or a dumpfile becomes an image byte-identical to
 * `mkcomposefs`, and an image reads back into a tree, a dumpfile or a listing. fs-verity digests
 * are those of `fsverity digest`.
 */

// Sources → tree
export {
  /** A node of the in-memory tree every source produces and the image writer takes: a dirent plus its inode. */
  Node,
  /** One extended attribute of a node: key and value as bytes. */
  type Xattr,
} from '../tree/tree.js';
export {
  /** The tree of a source: `{ kind: 'dir' | 'tar' | 'oci' | 'dump', paths }`, or an OCI `paths[0]` of `docker://HOST/NAME:TAG`, pulled first. */
  loadSource,
} from '../registry/source.js';
export {
  /** What `loadSource` reads: the kind of source, its paths and options. */
  type SourceSpec,
  /** Options of a source: digest store, owner, `useEpoch`, an overrides file, registry options. */
  type LoadOptions,
  /** Options of the single-source loaders (`loadDirectory`, `loadTarLayers`, `loadOciLayout`). */
  type SourceOptions,
  /** Registry options of a docker:// source: TLS, credentials, platform. */
  type RegistryOptions,
  /** A progress counter a loader advances by files and bytes. */
  type ProgressSink,
} from '../composefs/sources/index.js';
export {
  /** The tree of a directory (Node.js reads no xattrs: set them with `applyOverrides`). */
  loadDirectory,
} from '../composefs/sources/dir.js';
export {
  /** The tree of tar layers applied in order (whiteouts as OCI defines them; gzip and zstd layers). */
  loadTarLayers,
} from '../composefs/sources/tar.js';
export {
  /** The tree of an OCI image layout `DIR[:TAG]`, every blob's digest checked. */
  loadOciLayout,
} from '../composefs/sources/oci.js';
export {
  /** Applies dumpfile lines to a tree (`--overrides`): modes, owners, xattrs, payloads of the paths named. */
  applyOverrides,
} from '../composefs/sources/overrides.js';

// Tree or dumpfile → image
export {
  /** An image from a tree, dumpfile bytes, or a stream of dumpfile chunks, with its fs-verity digest. */
  buildImage,
  /** The tree of a dumpfile in memory (what `mkcomposefs --from-file` reads); refusals name line and field. */
  parseDump,
  /** The tree of a dumpfile read from a stream, in bounded memory per line. */
  parseDumpStream,
  /** Options of `buildImage`: `minVersion`, `maxVersion`, `useEpoch`, strict dumpfile parsing, the file name for errors. */
  type BuildOptions,
  /** What `buildImage` returns: the image bytes, its format version and fs-verity digest. */
  type BuiltImage,
  /** Options of `parseDump`: strict parsing and the file name for errors. */
  type ParseDumpOptions,
} from '../composefs/index.js';

// Image → tree, dumpfile, listing
export {
  /** The tree of an image (optionally only some paths), through a bounded reader. */
  readImage,
  /** The image's header, read without loading the tree. */
  readImageHeader,
  /** Options of `readImage`: the file name for errors, root names or paths to load. */
  type ReadImageOptions,
  /** What `readImageHeader` returns: flags, composefs format version, root nid, inode and block counts. */
  type ImageHeader,
} from '../composefs/erofs/reader.js';
export {
  /** The dumpfile text of a tree, equal to `composefs-info dump`. */
  printDump,
} from '../composefs/dumpfile/print.js';
export {
  /** Adds the backing paths (`XX/REST`) of a tree's regular files to a map, each once (`composefs-info objects`). */
  collectObjects,
} from '../composefs/listing.js';

// fs-verity digests
export {
  /** The fs-verity digest of bytes in memory. */
  digestBytes,
  /** The fs-verity digest of a file, big files hashed on worker threads. */
  digestFile,
  /** The fs-verity digest of a stream of chunks, in constant memory. */
  digestStream,
  /** An incremental fs-verity hasher: `update(bytes)` any number of times, then `digest()`. */
  FsverityHasher,
  /** An fs-verity digest: algorithm, bytes, hex and `sha256:hex` text. */
  type FsverityDigest,
  /** fs-verity parameters: hash algorithm, block size, salt. */
  type FsverityOptions,
  /** `'sha256'` or `'sha512'`. */
  type HashAlg,
} from '../fsverity/index.js';

// The backing files of an image, named by digest
export {
  /** A directory of backing files named `XX/REST` by fs-verity digest (`mkcomposefs --digest-store`). */
  ObjectStore,
  /** The object path `XX/REST` of a digest. */
  objectPath,
  /** What `ObjectStore` returns for a stored file: its digest and payload path `XX/REST`. */
  type StoredObject,
} from '../store/objects.js';
