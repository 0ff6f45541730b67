/**
 * `cfskit mkcomposefs`: the flags, output and errors of C mkcomposefs 1.0.8 (spec
 * composefs-image.md §4.1). The image goes to a temporary name in the target directory and is
 * renamed into place, so a failed run leaves no file (unlike C, which leaves an empty one).
 */
import { closeSync, fsyncSync, openSync, readSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { CfsError } from '../errors.js';
import { disownTemp, ownTemp, tempPath } from '../temp-name.js';
import { buildDumpStream } from '../composefs/build.js';
import type { Node } from '../composefs/tree.js';
// Directory/tar/OCI sources, the tree writer, the hasher and the progress bar load only when used
// (a --from-file build without --print-digest skips them all).
import type { LoadOptions } from '../composefs/sources/index.js';

const USAGE = `Usage: cfskit mkcomposefs [OPTIONS] SOURCE IMAGE
       cfskit mkcomposefs --print-digest-only [OPTIONS] SOURCE
       cfskit mkcomposefs [OPTIONS] --from-tar=FILE... | --from-oci=[oci:]DIR[:TAG]|docker://REF IMAGE

Build a composefs image byte-identical to mkcomposefs 1.0.8.

Options:
  --from-file           SOURCE is a dumpfile (composefs-dump(5)); '-' reads stdin
  --min-version=N       base format version (default 0)
  --max-version=N       highest version for the automatic upgrade (default 1)
  --use-epoch           all mtimes 0.0 (directory sources)
  --print-digest        print the image's fs-verity digest after writing it
  --print-digest-only   print the digest only; write no image
  --digest-store=DIR    copy external files into DIR (directory sources)
  --skip-devices        leave out device nodes (directory sources)
  --skip-xattrs         read no xattrs (directory sources)
  --user-xattrs         read only user.* xattrs (directory sources)
  --threads=N           threads hashing a directory source's files (default: all cores);
                        does not change the output
  --from-tar=FILE       the source is tar layers (no SOURCE argument): repeat for each layer,
                        applied in order with OCI whiteouts; gzip/zstd detected; '-' is stdin
  --from-oci=DIR[:TAG]  the source is the image in an OCI image layout (no SOURCE argument);
                        docker://HOST[:PORT]/NAME[:TAG|@DIGEST] pulls it from a registry
  --tls-verify=BOOL --authfile=FILE --creds=USER:PASS --platform=OS/ARCH[/VARIANT]
                        registry access for docker:// (as skopeo)
  --preserve-hardlinks  directory sources: files sharing st_dev/st_ino become one inode
                        (default, like C 1.0.8: every path its own inode with nlink 1)
  --owner=UID:GID       give every entry this owner
  --overrides=FILE      dumpfile lines whose MODE/UID/GID/MTIME/xattrs replace those of the
                        source's paths ('-' fields keep them)
  --quiet               no progress bar (drawn only when stderr is a terminal)
IMAGE '-' writes to stdout. CFS_PARSE_STRICT in the environment turns on strict dumpfile parsing.
Node.js cannot read extended attributes: directory sources carry none (as --skip-xattrs);
set them with --overrides, or use a tar/OCI source, which carries them (SCHILY.xattr.*).
Where a directory source has no real POSIX modes and owners (Windows; FAT, exFAT, SMB/CIFS, ntfs3
mounts on Linux) cfskit warns once and uses: directories 0755, files 0644, files starting with '#!'
or an ELF header 0755, symlinks 0777, owner 0:0; --overrides lines or a tar/OCI source state the truth.
`;

/** Long options: whether each takes a value (GNU getopt_long, unambiguous prefixes accepted). */
const OPTIONS: Record<string, boolean> = {
  'from-file': false,
  'min-version': true,
  'max-version': true,
  'use-epoch': false,
  'print-digest': false,
  'print-digest-only': false,
  'digest-store': true,
  'skip-devices': false,
  'skip-xattrs': false,
  'user-xattrs': false,
  threads: true,
  'from-tar': true,
  'from-oci': true,
  'preserve-hardlinks': false,
  owner: true,
  overrides: true,
  quiet: false,
  'tls-verify': true,
  authfile: true,
  creds: true,
  platform: true,
  help: false,
};

/** Options for a directory SOURCE, passed to the directory loader. */
export interface DirectorySourceOptions extends LoadOptions {
  skipXattrs: boolean;
  userXattrs: boolean;
  threads?: number;
}

/** Obtains the tree of a directory SOURCE (mkcomposefs without --from-file, spec §4.1.4). */
export async function loadDirectorySource(path: string, opts: DirectorySourceOptions): Promise<Node> {
  if (opts.skipXattrs && opts.userXattrs) throw new CfsError(`error accessing ${path}: Invalid argument`, { code: 'EUSAGE' });
  const { loadSource } = await import('../composefs/sources/index.js');
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

class UsageError extends Error {}

/** Stands for SOURCE when --from-tar or --from-oci gives it. */
const LAYERED_SOURCE = '(layers)';

interface Parsed {
  values: Map<string, string | true>;
  positional: string[];
  /** Every --from-tar, in order (the option repeats). */
  fromTar: string[];
}

function parseArgs(args: string[]): Parsed {
  const values = new Map<string, string | true>();
  const positional: string[] = [];
  const fromTar: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a === '--') {
      positional.push(...args.slice(i + 1));
      break;
    }
    if (!a.startsWith('--')) {
      if (a.startsWith('-') && a !== '-') throw new UsageError(`invalid option -- '${a.slice(1)}'`);
      positional.push(a);
      continue;
    }
    const eq = a.indexOf('=');
    const given = a.slice(2, eq < 0 ? undefined : eq);
    const exact = given in OPTIONS ? [given] : [];
    const matches = exact.length ? exact : Object.keys(OPTIONS).filter((o) => o.startsWith(given));
    if (matches.length !== 1) {
      throw new UsageError(matches.length ? `option '--${given}' is ambiguous` : `unrecognized option '--${given}'`);
    }
    const name = matches[0];
    if (OPTIONS[name]) {
      if (eq >= 0) values.set(name, a.slice(eq + 1));
      else if (i + 1 < args.length) values.set(name, args[++i]);
      else throw new CfsError('option needs a value', { field: `--${name}`, code: 'EUSAGE' });
      if (name === 'from-tar') fromTar.push(values.get(name) as string);
    } else {
      if (eq >= 0) throw new UsageError(`option '--${name}' doesn't allow an argument`);
      values.set(name, true);
    }
  }
  return { values, positional, fromTar };
}

/** strtol with the whole string consumed (spec §4.1.2: "Invalid min version %s"). */
function parseVersion(text: string, which: 'min' | 'max'): number {
  if (!/^\s*[+-]?\d+$/.test(text)) throw new CfsError(`Invalid ${which} version ${text}`, { code: 'EUSAGE' });
  return Number.parseInt(text, 10);
}

/** The version flag quirk (spec §4.1.2): with neither flag (0, 1); with one, the other is 0. */
function versions(values: Map<string, string | true>): { minVersion: number; maxVersion: number } {
  const min = values.get('min-version');
  const max = values.get('max-version');
  if (min === undefined && max === undefined) return { minVersion: 0, maxVersion: 1 };
  return {
    minVersion: typeof min === 'string' ? parseVersion(min, 'min') : 0,
    maxVersion: typeof max === 'string' ? parseVersion(max, 'max') : 0,
  };
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
    for (let n; (n = readSync(fd, buf, 0, buf.length, null)) > 0;) yield buf.subarray(0, n);
  } finally {
    closeSync(fd);
  }
}

/** A dumpfile SOURCE ('-': stdin) straight into the Wasm builder. */
async function buildFromDump(source: string, opts: { minVersion: number; maxVersion: number }): Promise<Uint8Array> {
  const input = source === '-' ? process.stdin : readChunks(source);
  const { image } = await buildDumpStream(input, {
    ...opts,
    useEpoch: false,
    file: source,
    strict: process.env.CFS_PARSE_STRICT !== undefined,
    reread: source === '-' ? undefined : () => readChunks(source),
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

/** `--print-digest`: the image's fs-verity SHA-256 digest (spec §1.7). */
async function imageDigest(image: Uint8Array): Promise<string> {
  const { FsverityHasher } = await import('../fsverity/hasher.js');
  const h = new FsverityHasher();
  h.update(image);
  return h.digest().hex;
}

/** The tree of a directory, tar or OCI SOURCE. */
async function loadTree(source: string, { values, fromTar }: Parsed): Promise<Node> {
  const [{ loadSource }, { createProgress }] = await Promise.all([import('../composefs/sources/index.js'), import('./progress.js')]);
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

/** A temporary file next to `target`, renamed over it by `commit()`, removed by `abort()`. */
class AtomicFile {
  readonly tmp: string;
  readonly fd: number;

  constructor(readonly target: string) {
    this.tmp = tempPath(dirname(target));
    ownTemp(this.tmp);
    try {
      this.fd = openSync(this.tmp, 'wx', 0o644);
    } catch (e) {
      disownTemp(this.tmp);
      throw new CfsError(`Failed to open output file: ${(e as Error).message}`, { file: target, code: 'EIO' });
    }
  }

  write(data: Uint8Array): void {
    for (let off = 0; off < data.length;) off += writeSync(this.fd, data, off);
  }

  commit(): void {
    fsyncSync(this.fd);
    closeSync(this.fd);
    renameSync(this.tmp, this.target);
    disownTemp(this.tmp);
  }

  abort(): void {
    try {
      closeSync(this.fd);
    } catch {
      /* already closed */
    }
    try {
      unlinkSync(this.tmp);
    } catch {
      /* already gone */
    }
    disownTemp(this.tmp);
  }
}

function writeStdout(data: Uint8Array | string): Promise<void> {
  return new Promise((resolve, reject) => process.stdout.write(data, (err) => (err ? reject(err) : resolve())));
}

function usageFailure(message: string): number {
  process.stderr.write(`cfskit mkcomposefs: ${message}\n${USAGE}`);
  return 1;
}

export async function run(args: string[]): Promise<number> {
  let parsed: Parsed;
  try {
    parsed = parseArgs(args);
  } catch (e) {
    if (e instanceof UsageError) return usageFailure(e.message);
    throw e;
  }
  const { values } = parsed;
  if (values.has('help')) {
    process.stdout.write(USAGE);
    return 0;
  }
  const sources = ['from-file', 'from-tar', 'from-oci'].filter((o) => values.has(o));
  if (sources.length > 1) return usageFailure(`--${sources.join(' and --')} cannot be combined`);
  // --from-tar/--from-oci name the source themselves: every argument is then the image
  const positional = values.has('from-tar') || values.has('from-oci') ? [LAYERED_SOURCE, ...parsed.positional] : parsed.positional;
  const digestOnly = values.has('print-digest-only');
  if (positional.length < 1) return usageFailure('No source path specified');
  if (positional.length > 2) return usageFailure('Too many arguments');
  if (digestOnly && positional.length === 2) return usageFailure('Cannot specify destination path with --print-digest-only');
  if (!digestOnly && positional.length < 2) return usageFailure('No destination path specified');
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
