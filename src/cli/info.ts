/**
 * `cfskit info`: composefs-info 1.0.8 (tools/composefs-info.c; spec composefs-image.md §4.2).
 * The same commands and stdout bytes: `ls`, `objects`, `missing-objects`, `dump` on images,
 * `measure-file` on any files. Images are processed in argument order and each one's output is
 * written before the next is loaded, as C does.
 */
import { readFileSync, statSync } from 'node:fs';
import { CfsError } from '../errors.js';
import { Unsorted, dumpImage, imageObjects, lsImage } from '../composefs/image-views.js';
// Static, not import(): under the test runner's loader an import() gets its own copy of errors.ts.
import { readImage } from '../composefs/erofs/reader.js';
import { dumpChunks } from '../composefs/dumpfile/print.js';
import { collectObjects, lsChunks } from '../composefs/listing.js';
// The fs-verity hasher (and its Wasm core and worker pool) loads only for measure-file, the
// object path check only for missing-objects.
import type { Node } from '../tree/tree.js';
import { type VerbSpec, parseVerb } from './args.js';

export const spec: VerbSpec = {
  name: 'info',
  synopsis: ['[--basedir=DIR] [--filter=NAME]... COMMAND IMAGE...', 'measure-file [--c-empty-digest] FILE...'],
  description: `Print the contents of composefs images, as composefs-info does.

Commands:
  ls               every path, with "/" for directories, "-> TARGET" for symlinks and
                   "@ OBJECT" for files backed by the object store
  dump             the images as composefs dumpfiles (composefs-dump(5))
  objects          the backing-file paths the images reference, sorted, once each
  missing-objects  those of the objects that are not present under --basedir
  measure-file     the fs-verity SHA-256 digest of each FILE`,
  options: {
    basedir: { type: 'string', value: 'DIR', help: 'the object store for missing-objects' },
    filter: { type: 'string', multiple: true, value: 'NAME', help: 'load only these entries of the root directory' },
    json: { type: 'boolean', help: 'objects, missing-objects: a JSON array of the paths; measure-file: a JSON\nobject of FILE to digest' },
    'c-empty-digest': { type: 'boolean', help: "measure-file: print C libcomposefs's digest for an empty file\n(SHA-256 of a zero block as root hash) instead of the kernel's" },
  },
};

/**
 * Digest of an empty file as the kernel and fsverity-utils compute it, and as C libcomposefs's
 * userspace code does (composefs-image.md §1.6).
 */
const EMPTY_DIGEST_KERNEL = '3d248ca542a24fc62d1c43b916eae5016878e2533c88238480b26128a1f1af95';
const EMPTY_DIGEST_C = 'cfc3391077edfd51859f6e5e16e03f82b1da3ee1a35d418b0d0b3b57740b4405';

const COMMANDS = ['ls', 'dump', 'objects', 'missing-objects', 'measure-file'] as const;
type Command = (typeof COMMANDS)[number];

const NL = Uint8Array.of(0x0a);

function usageError(message: string): CfsError {
  return new CfsError(message, { code: 'EUSAGE' });
}

/** Writes to stdout, waiting when the pipe is full. */
function writeOut(data: Uint8Array | string): Promise<void> {
  return new Promise((resolve, reject) => process.stdout.write(data, (err) => (err ? reject(err) : resolve())));
}

async function writeAll(chunks: Iterable<Uint8Array>): Promise<void> {
  for (const chunk of chunks) await writeOut(chunk);
}

function readImageFile(path: string): Uint8Array {
  try {
    return readFileSync(path);
  } catch (e) {
    throw new CfsError(`Failed to open: ${(e as Error).message}`, { file: path, code: 'EIO' });
  }
}

type BackingObject = typeof import('../cfs/backing-path.js').backingObject;

/**
 * A view printed straight from the image's bytes (image-views.ts), or from its tree when a
 * directory is out of name order (the tree sorts it, or reports the duplicate name).
 */
function view<T>(path: string, filter: Uint8Array[] | undefined, fast: (bytes: Uint8Array) => T, tree: (root: Node) => T): T {
  const bytes = readImageFile(path);
  try {
    return fast(bytes);
  } catch (e) {
    if (!(e instanceof Unsorted)) throw e;
  }
  return tree(readImage(bytes, { file: path, filter }));
}

async function jsonText(value: unknown): Promise<string> {
  return (await import('./commit-json.js')).jsonText(value);
}

/** The object store directory must exist (C opens it O_DIRECTORY before loading images). */
function checkBasedir(dir: string): void {
  let isDir: boolean;
  try {
    isDir = statSync(dir).isDirectory();
  } catch (e) {
    throw new CfsError(`Can't open basedir: ${(e as Error).message}`, { file: dir, code: 'EIO' });
  }
  if (!isDir) throw new CfsError("Can't open basedir: not a directory", { file: dir, code: 'ENOTDIR' });
}

/**
 * fstatat(basedir, payload without leading '/'): follows symlinks, so a dangling one is missing.
 * A payload that is not an object path (src/cfs/backing-path.ts: `..`, other lengths) is missing
 * without a look outside the store.
 */
function isPresent(basedir: string, object: Uint8Array, backingObject: BackingObject): boolean {
  let start = 0;
  while (start < object.length && object[start] === 0x2f) start++;
  try {
    backingObject(object.subarray(start), null);
  } catch {
    return false;
  }
  const path = Buffer.concat([Buffer.from(basedir), Buffer.from('/'), object.subarray(start)]);
  try {
    statSync(path);
    return true;
  } catch {
    return false;
  }
}

async function measureFiles(files: string[], cEmpty: boolean, json: boolean): Promise<void> {
  if (files.length === 0) throw usageError('No files specified');
  const { digestFile } = await import('../fsverity/index.js');
  const digests: Record<string, string> = {};
  for (const file of files) {
    const { hex } = await digestFile(file);
    const digest = cEmpty && hex === EMPTY_DIGEST_KERNEL ? EMPTY_DIGEST_C : hex;
    if (json) digests[file] = digest;
    else await writeOut(`${digest}\n`);
  }
  if (json) await writeOut(await jsonText(digests));
}

async function runCommand(command: Command, images: string[], basedir: string | undefined, filter: Uint8Array[] | undefined, json: boolean): Promise<void> {
  if (basedir !== undefined) checkBasedir(basedir);
  if (images.length === 0) throw usageError('No image path specified');
  const opts = { filter };
  if (command === 'dump' || command === 'ls') {
    for (const path of images) {
      const chunks = command === 'dump'
        ? view(path, filter, (b) => dumpImage(b, { ...opts, file: path }), (root) => [...dumpChunks(root)])
        : view(path, filter, (b) => lsImage(b, { ...opts, file: path }), (root) => [...lsChunks(root)]);
      await writeAll(chunks);
    }
    return;
  }
  // Object paths as latin1 strings of their bytes: JS string order is strcmp order.
  const objects = new Set<string>();
  for (const path of images) {
    view(path, filter, (b) => imageObjects(b, objects, { ...opts, file: path }), (root) => {
      const found = new Map<string, Uint8Array>();
      collectObjects(root, found);
      for (const key of found.keys()) objects.add(key);
    });
  }
  // Without --basedir every object counts as missing (C: basedir_fd == -1).
  const missingOnly = command === 'missing-objects' && basedir !== undefined;
  const backingObject = missingOnly ? (await import('../cfs/backing-path.js')).backingObject : null;
  const out: Uint8Array[] = [];
  for (const key of [...objects].sort()) {
    const object = Buffer.from(key, 'latin1');
    if (missingOnly && isPresent(basedir, object, backingObject!)) continue;
    out.push(object);
  }
  // JSON strings are UTF-8: a path that is not valid UTF-8 shows U+FFFD there (the text form has its bytes).
  await writeOut(json ? await jsonText(out.map((o) => Buffer.from(o).toString('utf8'))) : Buffer.concat(out.flatMap((o) => [o, NL])));
}

export async function run(args: string[]): Promise<number> {
  const parsed = parseVerb(spec, args);
  if (!parsed) return 0;
  const { positionals } = parsed;
  const values = parsed.values as { basedir?: string; filter?: string[]; 'c-empty-digest'?: boolean; json?: boolean };
  const [command, ...rest] = positionals;
  if (command === undefined) throw usageError('No command specified');
  if (!(COMMANDS as readonly string[]).includes(command)) throw new CfsError(`Unknown command '${command}'`, { code: 'EUSAGE' });
  const filter = values.filter?.map((name) => {
    if (name.includes('/')) throw new CfsError(`Filter must be a single name: ${name}`, { code: 'EUSAGE' });
    return new Uint8Array(Buffer.from(name));
  });

  // A reader that closes the pipe early (`| head`) ends the output quietly, as SIGPIPE does for C.
  const onError = (err: NodeJS.ErrnoException): void => {
    if (err.code !== 'EPIPE') throw err;
  };
  process.stdout.on('error', onError);
  try {
    const json = values.json === true;
    if (json && (command === 'ls' || command === 'dump')) throw usageError(`--json applies to objects, missing-objects and measure-file, not ${command}`);
    if (command === 'measure-file') await measureFiles(rest, values['c-empty-digest'] === true, json);
    else await runCommand(command as Command, rest, values.basedir, filter, json);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EPIPE') return 0;
    throw e;
  } finally {
    process.stdout.off('error', onError);
  }
  return 0;
}
