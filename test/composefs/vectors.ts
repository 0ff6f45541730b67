/**
 * The composefs image vectors copied from the reference tools (test/vectors/composefs):
 * upstream assets with their harness rules (composefs-image.md §6.1) and the
 * random dumpfiles with the C results for both format versions.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';

export const VECTOR_DIR = fileURLToPath(new URL('../vectors/composefs/', import.meta.url));
const UPSTREAM = join(VECTOR_DIR, 'upstream');
const RANDOM = join(VECTOR_DIR, 'random');
/** Assets the harness parses without CFS_PARSE_STRICT (composefs-image.md §6.1). */
const NON_STRICT = new Set(['no-newline.dump', 'longlink.dump', 'honggfuzz-longlink-unterminated.dump']);

/** Reads a dump, gunzipping `.gz`; a git symlink stored as a text file (special_v1.dump) is followed. */
function readDump(dir: string, name: string): Uint8Array {
  let data: Uint8Array = readFileSync(join(dir, name));
  if (name.endsWith('.gz')) data = gunzipSync(data);
  const linked = Buffer.from(data).toString().trim();
  if (data.length < 64 && /^[\w.-]+$/.test(linked) && existsSync(join(dir, linked))) return readDump(dir, linked);
  return data;
}

export interface UpstreamAsset {
  name: string;
  dump: Uint8Array;
  sha256: string;
  /** From NAME.version: built with --min-version=V --max-version=V. */
  version?: number;
  strict: boolean;
}

export function upstreamAssets(): UpstreamAsset[] {
  return readdirSync(UPSTREAM)
    .filter((f) => f.endsWith('.sha256'))
    .map((f) => f.slice(0, -'.sha256'.length))
    .filter((name) => existsSync(join(UPSTREAM, name)))
    .map((name) => {
      const versionFile = join(UPSTREAM, `${name}.version`);
      return {
        name,
        dump: readDump(UPSTREAM, name),
        sha256: readFileSync(join(UPSTREAM, `${name}.sha256`), 'utf8').trim(),
        version: existsSync(versionFile) ? Number(readFileSync(versionFile, 'utf8').trim()) : undefined,
        strict: !NON_STRICT.has(name),
      };
    });
}

export function shouldFailAssets(): { name: string; path: string; dump: Uint8Array }[] {
  return readdirSync(UPSTREAM)
    .filter((f) => f.startsWith('should-fail-') && f.endsWith('.dump'))
    .map((name) => ({ name, path: join(UPSTREAM, name), dump: readDump(UPSTREAM, name) }));
}

/** What C mkcomposefs did: an image sha256, or a refusal with its message. */
export type Expectation = { sha256: string } | { fail: string };

export interface RandomVector {
  name: string;
  path: string;
  dump: Uint8Array;
  /** Index 0: default flags (min 0, max 1); index 1: --min-version=1 --max-version=1. */
  expect: [Expectation, Expectation];
}

function expectation(file: string): Expectation {
  const lines = readFileSync(file, 'utf8').trim().split('\n');
  return lines[0] === 'fail' ? { fail: lines[1].replace(/^mkcomposefs: /, '') } : { sha256: lines[0] };
}

export function randomVectors(): RandomVector[] {
  return readdirSync(RANDOM)
    .filter((f) => f.endsWith('.dump.gz'))
    .sort()
    .map((f) => {
      const name = f.slice(0, -'.dump.gz'.length);
      return {
        name,
        path: join(RANDOM, f),
        dump: readDump(RANDOM, f),
        expect: [expectation(join(RANDOM, `${name}.v0.sha256`)), expectation(join(RANDOM, `${name}.v1.sha256`))],
      };
    });
}

/** Write options for the two random-vector variants. */
export const RANDOM_VARIANTS = [{}, { minVersion: 1, maxVersion: 1 }] as const;

/** Payload path and fs-verity digest of the external file in MINI_DUMP. */
export const MINI_PAYLOAD = 'ab/cdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789';
export const MINI_DIGEST = 'abcdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789';

/** The composefs-image.md §6.3 "mini" feature mix (every file type, xattrs, a hardlink, a whiteout). */
export const MINI_DUMP = [
  '/ 4096 40755 3 0 0 0 1700000000.5 - - - security.selinux=system_u:object_r:root_t:s0\\x00 user.note=hello\\x20world',
  '/dir 4096 40700 2 1000 1000 0 1700000001.0 - - - security.selinux=system_u:object_r:root_t:s0\\x00',
  '/dir/wh 0 20000 1 0 0 0 1700000000.5 - - -',
  `/dir/ext 123456 100644 2 1000 1000 0 1700000000.5 ${MINI_PAYLOAD} - ${MINI_DIGEST} trusted.overlay.metacopy=x`,
  '/hl 123456 @100644 2 1000 1000 0 1700000000.5 /dir/ext - -',
  '/inline 5 100644 1 0 0 0 1700000000.5 - hello - user.a=1',
  '/link 11 120777 1 70000 0 0 1700000000.5 /etc/passwd - -',
  '/dev 0 20644 1 0 0 259 1700000000.5 - - -',
  '/fifo 0 10644 1 0 0 0 1700000000.5 - - -',
  '/sock 0 140755 1 0 0 0 1700000000.5 - - -',
  '/nodig 5000000000 100600 1 0 0 0 1700000000.5 - - -',
  '',
].join('\n');
/** sha256 of mkcomposefs 1.0.8's image of MINI_DUMP, format version 1 (the default). */
export const MINI_SHA256_V1 = '51cbec6776596ed84770fbfac893a334f9f62616e9824f838e0b1583911a3532';
