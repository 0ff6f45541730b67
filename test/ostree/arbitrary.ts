/** fast-check generators of GVariant types and values of those types (shared by property and fuzz tests). */
import fc from 'fast-check';
import { parseType, type GvType, type GvValue } from '../../src/formats/gvariant.js';

const BASIC = ['y', 'b', 'n', 'q', 'i', 'u', 'x', 't', 'h', 's', 'o', 'g'];

export const arbTypeString: fc.Arbitrary<string> = fc.letrec<{ t: string }>((tie) => ({
  t: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.constantFrom(...BASIC, 'v', 'ay'),
    tie('t').map((t) => `a${t}`),
    tie('t').map((t) => `m${t}`),
    fc.array(tie('t'), { maxLength: 4 }).map((ts) => `(${ts.join('')})`),
    fc.tuple(fc.constantFrom(...BASIC), tie('t')).map(([k, v]) => `a{${k}${v}}`),
  ),
})).t;

/**
 * Code points from ranges whose Unicode category is stable across versions (so GLib 2.74's tables
 * and Node's ICU agree on printability): controls, ASCII, Latin-1, Greek, an unassigned block,
 * format characters, CJK, private use, emoji, and a plane-16 private use character.
 */
const RANGES: [number, number][] = [[1, 0x7f], [0x80, 0xff], [0x391, 0x3a9], [0x378, 0x379], [0x200b, 0x200f],
  [0x4e00, 0x4e20], [0xe000, 0xe010], [0x1f600, 0x1f64f], [0x100000, 0x100002]];
const codePoint = fc.constantFrom(...RANGES).chain(([lo, hi]) => fc.integer({ min: lo, max: hi }));
const text = fc.array(codePoint, { maxLength: 40 }).map((cps) => String.fromCodePoint(...cps));

export function arbValue(t: GvType, depth = 0): fc.Arbitrary<GvValue> {
  switch (t.kind) {
    case 'basic':
      switch (t.c) {
        case 'y': return fc.integer({ min: 0, max: 0xff });
        case 'b': return fc.boolean();
        case 'n': return fc.integer({ min: -0x8000, max: 0x7fff });
        case 'q': return fc.integer({ min: 0, max: 0xffff });
        case 'i': case 'h': return fc.integer({ min: -0x80000000, max: 0x7fffffff });
        case 'u': return fc.integer({ min: 0, max: 0xffffffff });
        case 'x': return fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n });
        case 't': return fc.bigInt({ min: 0n, max: 2n ** 64n - 1n });
        case 's': return fc.oneof(text, fc.string({ minLength: 250, maxLength: 300 }).map((s) => s.replaceAll('\0', '')));
        case 'o': return fc.constantFrom('/', '/a', '/org/x_1');
        case 'g': return fc.constantFrom('', 's', 'a{sv}', '(uu)');
      }
    // falls through (unreachable)
    case 'v': {
      const inner = depth > 2 ? fc.constantFrom('s', 'u', 'ay') : arbTypeString;
      return inner.chain((ts) => arbValue(parseType(ts), depth + 1).map((value) => ({ type: ts, value })));
    }
    case 'm':
      return fc.option(arbValue(t.elem, depth + 1), { nil: null });
    case 'a':
      if (t.elem.kind === 'basic' && t.elem.c === 'y') return fc.oneof(fc.uint8Array({ maxLength: 40 }), fc.uint8Array({ minLength: 250, maxLength: 300 }));
      return fc.array(arbValue(t.elem, depth + 1), { maxLength: depth > 2 ? 2 : 5 });
    case 'tuple':
      return fc.tuple(...t.members.map((m) => arbValue(m, depth + 1))) as fc.Arbitrary<GvValue>;
  }
}

export function arbTypedValue(): fc.Arbitrary<{ type: string; value: GvValue }> {
  return arbTypeString.chain((type) => arbValue(parseType(type)).map((value) => ({ type, value })));
}
