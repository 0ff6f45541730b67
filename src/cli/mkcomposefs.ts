/**
 * `cfskit mkcomposefs`: the flags, output and errors of C mkcomposefs 1.0.8 (spec
 * composefs-image.md §4.1). The image goes to a temporary name in the target directory and is
 * renamed into place, so a failed run leaves no file (unlike C, which leaves an empty one).
 */
import { closeSync, openSync, readSync, statSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { CfsError } from '../errors.js';
import { dropTemp, nodeFs, ownedTemp, placeTemp } from '../io/fs.js';
import { buildWasmImage } from '../wasm/composefs.js';
import type { Node } from '../tree/tree.js';
// Directory/tar/OCI sources, the tree writer, the hasher and the progress bar load only when used
// (a --from-file build without --print-digest skips them all).
import type { LoadOptions } from '../composefs/sources/index.js';
import { type VerbSpec, parseVerb } from './args.js';
import { REGISTRY_OPTIONS } from './registry-options.js';

export const spec: VerbSpec = {
  name: 'mkcomposefs',
  synopsis: ['[OPTIONS] SOURCE IMAGE', '--print-digest-only [OPTIONS] SOURCE', '[OPTIONS] --from-tar=FILE... | --from-oci=[oci:]DIR[:TAG]|docker://REF IMAGE'],
  description: `Build a composefs image byte-identical to mkcomposefs 1.0.8. SOURCE is a directory (or a
dumpfile with --from-file). IMAGE '-' writes to stdout. CFS_PARSE_STRICT in the environment
turns on strict dumpfile parsing. Long options may be abbreviated to a unique prefix.
Node.js cannot read extended attributes: directory sources carry none (as --skip-xattrs);
set them with --overrides, or use a tar/OCI source, which carries them (SCHILY.xattr.*).
Where a directory source has no real POSIX modes and owners (Windows; FAT, exFAT, SMB/CIFS, ntfs3
mounts on Linux) cfskit warns once and uses: directories 0755, files 0644, files starting with '#!'
or an ELF header 0755, symlinks 0777, owner 0:0; --overrides lines or a tar/OCI source state the truth.`,
  options: {
    'from-file': { type: 'boolean', help: "SOURCE is a dumpfile (composefs-dump(5)); '-' reads stdin" },
    'min-version': { type: 'string', value: 'N', help: 'base format version (default 0)' },
    'max-version': { type: 'string', value: 'N', help: 'highest version for the automatic upgrade (default 1)' },
    'use-epoch': { type: 'boolean', help: 'all mtimes 0.0 (directory sources)' },
    'print-digest': { type: 'boolean', help: "print the image's fs-verity digest after writing it" },
    'print-digest-only': { type: 'boolean', help: 'print the digest only; write no image' },
    'digest-store': { type: 'string', value: 'DIR', help: 'copy external files into DIR (directory sources)' },
    'skip-devices': { type: 'boolean', help: 'leave out device nodes (directory sources)' },
    'skip-xattrs': { type: 'boolean', help: 'read no xattrs (directory sources)' },
    'user-xattrs': { type: 'boolean', help: 'read only user.* xattrs (directory sources)' },
    threads: { type: 'string', value: 'N', help: "threads hashing a directory source's files (default: all cores);\ndoes not change the output" },
    'from-tar': { type: 'string', multiple: true, value: 'FILE', help: "the source is tar layers (no SOURCE argument): repeat for each layer,\napplied in order with OCI whiteouts; gzip/zstd detected; '-' is stdin" },
    'from-oci': { type: 'string', value: 'DIR[:TAG]', help: 'the source is the image in an OCI image layout (no SOURCE argument);\ndocker://HOST[:PORT]/NAME[:TAG|@DIGEST] pulls it from a registry' },
    'preserve-hardlinks': { type: 'boolean', help: 'directory sources: files sharing st_dev/st_ino become one inode\n(default, like C 1.0.8: every path its own inode with nlink 1)' },
    owner: { type: 'string', value: 'UID:GID', help: 'give every entry this owner' },
    overrides: { type: 'string', value: 'FILE', help: "dumpfile lines whose MODE/UID/GID/MTIME/xattrs replace those of the\nsource's paths ('-' fields keep them)" },
    quiet: { type: 'boolean', help: 'no progress bar (drawn only when stderr is a terminal)' },
    ...REGISTRY_OPTIONS,
  },
};

/** Options for a directory SOURCE, passed to the directory loader. */
export interface DirectorySourceOptions extends LoadOptions {
  skipXattrs: boolean;
  userXattrs: boolean;
  threads?: number;
}

/** Obtains the tree of a directory SOURCE (mkcomposefs without --from-file, composefs-image.md §4.1.4). */
export async function loadDirectorySource(path: string, opts: DirectorySourceOptions): Promise<Node> {
  if (opts.skipXattrs && opts.userXattrs) throw new CfsError(`error accessing ${path}: Invalid argument`, { code: 'EUSAGE' });
  const { loadSource } = await import('../registry/source.js');
  return loadSource({ kind: 'dir', paths: [path], options: opts });
}

/** `--owner=UID:GID`, both 32-bit unsigned decimals. */
function parseOwner(text: string): { uid: number; gid: number } {
  const m = /^(\d{1,10}):(\d{1,10})$/.exec(text);
  if (!m || Number(m[1]) > 0xffffffff || Number(m[2]) > 0xffffffff) {
    throw new CfsError(`Invalid owner ${text} (UID:GID)`, { field: '--owner', code: 'EUSAGE' });
  }
  return { uid: Number(m[1]), gid: Number(m[2]) };
}

/** Stands for SOURCE when --from-tar or --from-oci gives it. */
const LAYERED_SOURCE = '(layers)';

interface Parsed {
  values: Map<string, string | true>;
  positional: string[];
  /** Every --from-tar, in order (the option repeats). */
  fromTar: string[];
}

/** The table's parse as a map of the options given (GNU getopt_long, unambiguous prefixes accepted). */
function parseArgs(args: string[]): Parsed | null {
  const p = parseVerb(spec, args);
  if (!p) return null;
  const values = new Map<string, string | true>();
  for (const [name, v] of Object.entries(p.values)) {
    if (v === undefined) continue;
    values.set(name, Array.isArray(v) ? (v.at(-1) as string) : (v as string | true));
  }
  return { values, positional: p.positionals, fromTar: (p.values['from-tar'] as string[] | undefined) ?? [] };
}

/** strtol with the whole string consumed (composefs-image.md §4.1.2: "Invalid min version %s"). */
function parseVersion(text: string, which: 'min' | 'max'): number {
  if (!/^\s*[+-]?\d+$/.test(text)) throw new CfsError(`Invalid ${which} version ${text}`, { code: 'EUSAGE' });
  return Number.parseInt(text, 10);
}

/** The version flag quirk (composefs-image.md §4.1.2): with neither flag (0, 1); with one, the other is 0. */
function versions(values: Map<string, string | true>): { minVersion: number; maxVersion: number } {
  const min = values.get('min-version');
  const max = values.get('max-version');
  if (min === undefined && max === undefined) return { minVersion: 0, maxVersion: 1 };
  return {
    minVersion: typeof min === 'string' ? parseVersion(min, 'min') : 0,
    maxVersion: typeof max === 'string' ? parseVersion(max, 'max') : 0,
  };
}

function readFailing(path: string, read: () => number): number {
  try {
    return read();
  } catch (e) {
    throw new CfsError(`Failed to read: ${(e as NodeJS.ErrnoException).code === 'EISDIR' ? 'Is a directory' : (e as Error).message}`, { file: path, code: 'EIO' });
  }
}

/** A dumpfile's bytes in 1 MiB reads into one reused buffer (the parser copies what it keeps). */
async function* readChunks(path: string): AsyncGenerator<Uint8Array> {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (e) {
    throw new CfsError(`Failed to open ${path}: ${(e as Error).message}`, { file: path, code: 'EIO' });
  }
  try {
    const buf = new Uint8Array(1 << 20);
    for (let n; (n = readFailing(path, () => readSync(fd, buf, 0, buf.length, null))) > 0;) yield buf.subarray(0, n);
  } finally {
    closeSync(fd);
  }
}

/** A dumpfile SOURCE ('-': stdin) straight into the Wasm builder, read once; it words a refusal itself. */
async function buildFromDump(source: string, opts: { minVersion: number; maxVersion: number }): Promise<Uint8Array> {
  const input = source === '-' ? process.stdin : readChunks(source);
  const { image } = await buildWasmImage(input, {
    ...opts,
    useEpoch: false,
    file: source,
    strict: process.env.CFS_PARSE_STRICT !== undefined,
    // The image is written out and dropped: no copy of it out of Wasm memory.
    view: true,
  });
  return image;
}

/** The image of a directory, tar or OCI SOURCE. */
async function buildFromTree(source: string, parsed: Parsed, opts: { minVersion: number; maxVersion: number }): Promise<Uint8Array> {
  const tree = await loadTree(source, parsed);
  const { writeImage } = await import('../composefs/erofs/writer.js');
  return writeImage(tree, opts).image;
}

/** `--print-digest`: the image's fs-verity SHA-256 digest (composefs-image.md §1.7). */
async function imageDigest(image: Uint8Array): Promise<string> {
  const { FsverityHasher } = await import('../fsverity/hasher.js');
  const h = new FsverityHasher();
  h.update(image);
  return h.digest().hex;
}

/** The tree of a directory, tar or OCI SOURCE. */
async function loadTree(source: string, { values, fromTar }: Parsed): Promise<Node> {
  const [{ loadSource }, { createProgress }] = await Promise.all([import('../registry/source.js'), import('./progress.js')]);
  const threads = values.get('threads');
  if (typeof threads === 'string' && !(Number(threads) > 0 && Number.isInteger(Number(threads)))) {
    throw new CfsError(`Invalid threads count ${threads}`, { code: 'EUSAGE' });
  }
  const owner = values.get('owner');
  const progress = createProgress({ quiet: values.has('quiet') });
  const options: LoadOptions = {
    useEpoch: values.has('use-epoch'),
    digestStore: values.get('digest-store') as string | undefined,
    skipDevices: values.has('skip-devices'),
    preserveHardlinks: values.has('preserve-hardlinks'),
    owner: typeof owner === 'string' ? parseOwner(owner) : undefined,
    overrides: values.get('overrides') as string | undefined,
    progress,
  };
  try {
    if (fromTar.length > 0) return await loadSource({ kind: 'tar', paths: fromTar, options });
    if (values.has('from-oci')) {
      const { registryOptions } = await import('./registry-args.js');
      const registry = registryOptions((name) => values.get(name) as string | undefined, values.has('quiet'));
      return await loadSource({ kind: 'oci', paths: [values.get('from-oci') as string], options: { ...options, registry } });
    }
    return await loadDirectorySource(source, {
      ...options,
      skipXattrs: values.has('skip-xattrs'),
      userXattrs: values.has('user-xattrs'),
      threads: typeof threads === 'string' ? Number(threads) : undefined,
    });
  } finally {
    progress?.stop();
  }
}

/** A temporary file next to `target`, placed over it by `commit()` (placeTemp), removed by `abort()`. */
class AtomicFile {
  readonly tmp: string;
  private fd: number;

  constructor(readonly target: string) {
    if (statSync(target, { throwIfNoEntry: false })?.isDirectory()) {
      throw new CfsError('Failed to open output file: Is a directory', { file: target, code: 'EISDIR' });
    }
    this.tmp = ownedTemp(dirname(target));
    try {
      this.fd = nodeFs.open(this.tmp, 0o644);
    } catch (e) {
      dropTemp(nodeFs, this.tmp);
      throw new CfsError(`Failed to open output file: ${(e as Error).message}`, { file: target, code: 'EIO' });
    }
  }

  write(data: Uint8Array): void {
    nodeFs.write(this.fd, data);
  }

  commit(): void {
    const fd = this.fd;
    this.fd = -1;
    nodeFs.close(fd);
    placeTemp(nodeFs, this.tmp, this.target);
  }

  abort(): void {
    if (this.fd >= 0) {
      try {
        nodeFs.close(this.fd);
      } catch {
        /* the temp file is removed below either way */
      }
      this.fd = -1;
    }
    dropTemp(nodeFs, this.tmp);
  }
}

function writeStdout(data: Uint8Array | string): Promise<void> {
  return new Promise((resolve, reject) => process.stdout.write(data, (err) => (err ? reject(err) : resolve())));
}

const usageFailure = (message: string) => new CfsError(message, { code: 'EUSAGE' });

export async function run(args: string[]): Promise<number> {
  const parsed = parseArgs(args);
  if (!parsed) return 0;
  const { values } = parsed;
  const sources = ['from-file', 'from-tar', 'from-oci'].filter((o) => values.has(o));
  if (sources.length > 1) throw usageFailure(`--${sources.join(' and --')} cannot be combined`);
  // --from-tar/--from-oci name the source themselves: every argument is then the image
  const positional = values.has('from-tar') || values.has('from-oci') ? [LAYERED_SOURCE, ...parsed.positional] : parsed.positional;
  const digestOnly = values.has('print-digest-only');
  if (positional.length < 1) throw usageFailure('No source path specified');
  if (positional.length > 2) throw usageFailure('Too many arguments');
  if (digestOnly && positional.length === 2) throw usageFailure('Cannot specify destination path with --print-digest-only');
  if (!digestOnly && positional.length < 2) throw usageFailure('No destination path specified');
  const [source, image] = positional;
  if (source === '') throw new CfsError('Empty source path specified', { code: 'EUSAGE' });
  const toStdout = image === '-';
  if (toStdout && process.stdout.isTTY) throw new CfsError('stdout is a tty.  Refusing to use it', { code: 'EUSAGE' });
  const opts = versions(values);

  // Opened before the source is read, as C does; removed again on any failure.
  const out = !digestOnly && !toStdout ? new AtomicFile(image) : null;
  try {
    const image = values.has('from-file') ? await buildFromDump(source, opts) : await buildFromTree(source, parsed, opts);
    if (out) {
      out.write(image);
      out.commit();
    } else if (toStdout) {
      await writeStdout(image);
    }
    if (digestOnly || values.has('print-digest')) await writeStdout(`${await imageDigest(image)}\n`);
    return 0;
  } catch (e) {
    out?.abort();
    throw e;
  }
}
