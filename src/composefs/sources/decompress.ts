/**
 * Layer compression, detected by magic: gzip (`1f 8b`, node:zlib: each member's CRC32 and ISIZE
 * are checked, concatenated members allowed, truncation and trailing bytes other than zero
 * padding refused) and zstd (`28 b5 2f fd`, zstd.ts: checksums and window limit); anything else
 * passes through as a plain tar.
 */
import { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { CfsError } from '../../errors.js';
import { unzstd } from './zstd.js';

const GZIP_MAGIC = [0x1f, 0x8b];
const ZSTD_MAGIC = [0x28, 0xb5, 0x2f, 0xfd];

export type Compression = 'gzip' | 'zstd' | 'none';

/** Yields the decompressed bytes of `input`; errors name `file` and the code ETAR. */
export async function* decompress(input: AsyncIterable<Uint8Array>, file: string): AsyncGenerator<Uint8Array> {
  const it = input[Symbol.asyncIterator]();
  const head: Uint8Array[] = [];
  let headLen = 0;
  let done = false;
  while (headLen < ZSTD_MAGIC.length) {
    const r = await it.next();
    if (r.done) {
      done = true;
      break;
    }
    head.push(r.value);
    headLen += r.value.length;
  }
  const first = Buffer.concat(head);
  const rest = async function* (): AsyncGenerator<Uint8Array> {
    if (first.length > 0) yield first;
    if (done) return;
    for (let r = await it.next(); !r.done; r = await it.next()) yield r.value;
  };
  const kind = detect(first);
  if (kind === 'gzip') yield* gunzip(rest(), file);
  else if (kind === 'zstd') yield* unzstd(rest(), file);
  else yield* rest();
}

export function detect(head: Uint8Array): Compression {
  const starts = (magic: number[]): boolean => magic.every((b, i) => head[i] === b);
  if (starts(GZIP_MAGIC)) return 'gzip';
  if (starts(ZSTD_MAGIC)) return 'zstd';
  return 'none';
}

async function* gunzip(input: AsyncIterable<Uint8Array>, file: string): AsyncGenerator<Uint8Array> {
  const source = Readable.from(input, { objectMode: false });
  const z = createGunzip();
  source.on('error', (err) => z.destroy(err));
  source.pipe(z);
  try {
    for await (const chunk of z) yield chunk as Buffer;
  } catch (err) {
    throw err instanceof CfsError ? err : corrupt('gzip', file, err);
  } finally {
    source.destroy();
  }
}

function corrupt(format: string, file: string, err: unknown): CfsError {
  const why = err instanceof Error ? err.message : String(err);
  return new CfsError(`corrupt or truncated ${format} stream: ${why}`, { file, field: format, code: 'ETAR' }, { cause: err });
}
