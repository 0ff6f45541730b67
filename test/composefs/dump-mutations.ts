/**
 * Mutated dumpfiles for fuzzing: seeds covering every line shape, and fast-check mutations (byte
 * flips, deletions, boundary tokens, duplicated spans) spread over the whole input.
 */
import fc from 'fast-check';
import { randomVectors, upstreamAssets } from './vectors.js';

const enc = new TextEncoder();

/** The small upstream assets and random vectors, and a hand-made mix of every file type, escape and hardlink shape. */
export function dumpSeeds(): Uint8Array[] {
  const small = [...upstreamAssets(), ...randomVectors()].filter((a) => a.dump.length < 40000).map((a) => a.dump);
  small.push(enc.encode([
    '/ 4096 40755 3 0 0 0 1.5 - - - security.selinux=a\\x00 trusted.overlay.opaque=y',
    '/d 4096 40700 2 70000 0 0 2.0 - - - user.x=1 user.x=22',
    '/d/wh 0 20000 1 0 0 0 1.5 - - - trusted.overlay.whiteout=ab',
    `/d/ext 5000000000 100644 2 0 0 0 1.5 ab/${'c'.repeat(62)} - ${'ab'.repeat(32)}`,
    '/hl 0 @100644 - - - - - /d/ext - -',
    '/d//hl2 0 @100644 - - - - - //d/ext - -',
    '/l 3 120777 1 0 0 0 1.5 abc - -',
    '/i 5 100644 1 0 0 0 1.5 - hello - user.a=1 user.b=\\xff',
    '/e\\x20s\\n 0 100644 1 0 0 0 1.5 - - -',
    'd/rel 0 10644 1 0 0 0 1.5 - - -',
    '/dev 0 60644 1 0 0 259 1.5 - - -',
    '',
  ].join('\n')));
  return small;
}

/** Tokens that hit field and escape boundaries. */
const TOKENS = [' ', '\n', '\0', '\\', '\\x', '\\x0', '\\x00', '\\t', '@', '-', '+', '=', '/', '//', '.', '..', '0', '9',
  '7777777', '18446744073709551615', '18446744073709551616', '4096', '5001', '20000', '120777', '40755', '100644',
  'trusted.overlay.', 'user.overlay.whiteout=x', 'user.a=',
].map((t) => enc.encode(t));

export type Mutation =
  | { kind: 'flip'; at: number; value: number }
  | { kind: 'delete'; at: number; length: number }
  | { kind: 'insert'; at: number; token: number }
  | { kind: 'duplicate'; at: number; length: number }
  | { kind: 'swapLines'; at: number; other: number }
  | { kind: 'dropLine'; at: number };

/** Positions spread over the whole input (fc.nat() alone favours small values). */
const position = fc.noBias(fc.nat());

export const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant('flip' as const), at: position, value: fc.oneof(fc.integer({ min: 0x30, max: 0x39 }), fc.integer({ min: 0, max: 255 })) }),
  fc.record({ kind: fc.constant('delete' as const), at: position, length: fc.integer({ min: 1, max: 64 }) }),
  fc.record({ kind: fc.constant('insert' as const), at: position, token: fc.nat(TOKENS.length - 1) }),
  fc.record({ kind: fc.constant('duplicate' as const), at: position, length: fc.integer({ min: 1, max: 400 }) }),
  // Whole-line edits keep lines valid: out-of-order children, missing parents and hardlink targets.
  fc.record({ kind: fc.constant('swapLines' as const), at: position, other: position }),
  fc.record({ kind: fc.constant('dropLine' as const), at: position }),
);

/** The [start, end) of each line, its "\n" included. */
function lines(input: Uint8Array): [number, number][] {
  const out: [number, number][] = [];
  for (let p = 0; p < input.length;) {
    const nl = input.indexOf(0x0a, p);
    const end = nl < 0 ? input.length : nl + 1;
    out.push([p, end]);
    p = end;
  }
  return out;
}

function join(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.length;
  }
  return out;
}

export function mutate(input: Uint8Array, m: Mutation): Uint8Array {
  const at = input.length === 0 ? 0 : m.at % input.length;
  switch (m.kind) {
    case 'flip': {
      const out = input.slice();
      if (out.length) out[at] = m.value;
      return out;
    }
    case 'delete':
      return join(input.subarray(0, at), input.subarray(at + m.length));
    case 'insert':
      return join(input.subarray(0, at), TOKENS[m.token], input.subarray(at));
    case 'duplicate':
      return join(input.subarray(0, at + m.length), input.subarray(at));
    case 'swapLines': {
      const ls = lines(input);
      if (ls.length < 2) return input;
      const [a, b] = [m.at % ls.length, m.other % ls.length].sort((x, y) => x - y);
      const [as, ae] = ls[a];
      const [bs, be] = ls[b];
      return join(input.subarray(0, as), input.subarray(bs, be), input.subarray(ae, bs), input.subarray(as, ae), input.subarray(be));
    }
    case 'dropLine': {
      const ls = lines(input);
      if (ls.length === 0) return input;
      const [s, e] = ls[m.at % ls.length];
      return join(input.subarray(0, s), input.subarray(e));
    }
  }
}
