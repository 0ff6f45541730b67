/**
 * `cfskit digest [--hash-alg=sha256|sha512] [--block-size=N] [--salt=HEX] [--compact] FILE...`:
 * prints what fsverity-utils' `fsverity digest` prints: `ALG:HEX FILE` per file (only HEX with
 * --compact), stopping at the first file that cannot be read (composefs-image.md §1.5).
 */
import { CfsError } from '../errors.js';
import { digestFile } from '../fsverity/index.js';
import { isHashAlg, type FsverityOptions } from '../fsverity/params.js';
import { type Parsed, type VerbSpec, parseVerb } from './args.js';

export const spec: VerbSpec = {
  name: 'digest',
  synopsis: ['[--hash-alg=ALG] [--block-size=N] [--salt=HEX] [--compact] FILE...'],
  description: 'Print the fs-verity digest of each FILE as ALG:HEX FILE, as fsverity digest does.',
  options: {
    'hash-alg': { type: 'string', multiple: true, value: 'ALG', help: 'sha256 or sha512 (default sha256); at most once' },
    'block-size': { type: 'string', multiple: true, value: 'N', help: 'Merkle tree block size, a power of 2 (default 4096); at most once' },
    salt: { type: 'string', multiple: true, value: 'HEX', help: 'salt prepended to each hashed block, in hex (default none); at most once' },
    compact: { type: 'boolean', help: 'print only the hex digest' },
  },
};

const usageError = (reason: string, option?: string) => new CfsError(reason, { field: option && `--${option}`, code: 'EUSAGE' });

/** The one value of an option given at most once (as fsverity-utils requires). */
function once(values: string[] | undefined, name: string): string | undefined {
  if (values && values.length > 1) throw usageError('can only be given once', name);
  return values?.[0];
}

function options(values: Parsed['values']): FsverityOptions {
  const opts: FsverityOptions = {};
  const alg = once(values['hash-alg'] as string[] | undefined, 'hash-alg');
  if (alg !== undefined) {
    if (!isHashAlg(alg)) throw usageError(`unknown hash algorithm '${alg}' (available: sha256 sha512)`, 'hash-alg');
    opts.hashAlg = alg;
  }
  const blockSize = once(values['block-size'] as string[] | undefined, 'block-size');
  if (blockSize !== undefined) {
    // fsverity-utils reads a decimal number and wants a power of two
    const n = /^[0-9]+$/.test(blockSize) ? Number(blockSize) : NaN;
    if (!(n > 0 && n <= 2 ** 31 && (n & (n - 1)) === 0)) throw usageError(`'${blockSize}' is not a power of 2`, 'block-size');
    opts.blockSize = n;
  }
  const salt = once(values.salt as string[] | undefined, 'salt');
  if (salt !== undefined) {
    if (!/^([0-9a-fA-F]{2})*$/.test(salt)) throw usageError(`'${salt}' is not a hex string of whole bytes`, 'salt');
    opts.salt = Buffer.from(salt, 'hex');
  }
  return opts;
}

export async function run(args: string[]): Promise<number> {
  const p = parseVerb(spec, args);
  if (!p) return 0;
  const { values, positionals: files } = p;
  const opts = options(values);
  if (files.length === 0) throw usageError('no FILE given');
  for (const file of files) {
    const d = await digestFile(file, opts);
    process.stdout.write(values.compact ? `${d.hex}\n` : `${d.text} ${file}\n`);
  }
  return 0;
}
