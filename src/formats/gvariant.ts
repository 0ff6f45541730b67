/**
 * GVariant serialization in normal form (spec ostree.md §1), driven by the type string: parse the
 * type once into a GvType (alignment, fixed size), then encode/decode any value of it.
 *
 * Value model: y n q i u h → number; x t → bigint; b → boolean; s o g → string; ay → Uint8Array;
 * other arrays and tuples → arrays; {KV} → [key, value]; mT → value or null; v → Variant.
 *
 * Byte order (ostree.md §1.1): numeric values are written in the order the caller asks for (ostree's
 * objects and commit metadata: 'be'); framing offsets are always little-endian.
 */
import { CfsError } from '../errors.js';

export type Endian = 'be' | 'le';

export interface Variant {
  type: string;
  value: GvValue;
}
export type GvValue = number | bigint | boolean | string | Uint8Array | Variant | null | GvValue[];

type Basic = 'y' | 'b' | 'n' | 'q' | 'i' | 'u' | 'x' | 't' | 'h' | 's' | 'o' | 'g';
export type GvType = { str: string; align: number; fixed: number | null } & (
  | { kind: 'basic'; c: Basic }
  | { kind: 'v' }
  | { kind: 'a' | 'm'; elem: GvType }
  | { kind: 'tuple'; members: GvType[]; /** variable-size members other than the last (ostree.md §1.6) */ nOffsets: number }
);

/** GLib's limit on type nesting (G_VARIANT_MAX_RECURSION_DEPTH). */
const MAX_DEPTH = 128;
const FIXED: Record<string, number> = { y: 1, b: 1, n: 2, q: 2, i: 4, u: 4, h: 4, x: 8, t: 8 };

const err = (reason: string, offset?: number, field?: string, file?: string) =>
  new CfsError(reason, { code: 'EGVARIANT', offset, field, file });

// ---------------------------------------------------------------------------------------------
// Type strings (ostree.md §1.2)

const typeCache = new Map<string, GvType>();

/** Parses one complete type string; throws EGVARIANT when it is not exactly one definite type. */
export function parseType(str: string): GvType {
  const cached = typeCache.get(str);
  if (cached) return cached;
  const [type, end] = parseAt(str, 0, 0);
  if (end !== str.length) throw err(`not a single complete type: '${str}'`, end, 'type');
  if (typeCache.size < 4096) typeCache.set(str, type);
  return type;
}

function parseAt(s: string, pos: number, depth: number): [GvType, number] {
  if (depth > MAX_DEPTH) throw err('type nested too deeply', pos, 'type');
  const c = s[pos];
  if (c === undefined) throw err(`truncated type string '${s}'`, pos, 'type');
  if (c in FIXED) return [{ kind: 'basic', c: c as Basic, str: c, align: FIXED[c], fixed: FIXED[c] }, pos + 1];
  if (c === 's' || c === 'o' || c === 'g') return [{ kind: 'basic', c, str: c, align: 1, fixed: null }, pos + 1];
  if (c === 'v') return [{ kind: 'v', str: 'v', align: 8, fixed: null }, pos + 1];
  if (c === 'a' || c === 'm') {
    const [elem, end] = parseAt(s, pos + 1, depth + 1);
    return [{ kind: c, elem, str: s.slice(pos, end), align: elem.align, fixed: null }, end];
  }
  if (c === '(' || c === '{') {
    const close = c === '(' ? ')' : '}';
    const members: GvType[] = [];
    let p = pos + 1;
    while (s[p] !== close) {
      if (p >= s.length) throw err(`unterminated '${c}' in type '${s}'`, p, 'type');
      const [m, end] = parseAt(s, p, depth + 1);
      members.push(m);
      p = end;
    }
    if (c === '{' && (members.length !== 2 || members[0].kind !== 'basic'))
      throw err(`dict entry must be {basic,any} in type '${s}'`, pos, 'type');
    return [tupleType(s.slice(pos, p + 1), members), p + 1];
  }
  throw err(`unknown type character '${c}' in '${s}'`, pos, 'type');
}

/** Tuple layout (ostree.md §1.2): fixed iff all members are fixed; size rounded up to the alignment. */
function tupleType(str: string, members: GvType[]): GvType {
  let align = 1;
  let end = 0;
  let fixed = true;
  for (const m of members) {
    align = Math.max(align, m.align);
    if (m.fixed === null) fixed = false;
    else end = roundUp(end, m.align) + m.fixed;
  }
  const size = members.length === 0 ? 1 : roundUp(end, align);
  const nOffsets = members.filter((m, i) => m.fixed === null && i < members.length - 1).length;
  return { kind: 'tuple', members, nOffsets, str, align, fixed: fixed ? size : null };
}

const roundUp = (n: number, align: number) => (n + align - 1) & -align;

/** Offset width from a container's total size (ostree.md §1.4). */
function offsetWidth(size: number): number {
  if (size === 0) return 0;
  if (size <= 0xff) return 1;
  if (size <= 0xffff) return 2;
  if (size <= 0xffffffff) return 4;
  return 8;
}

// ---------------------------------------------------------------------------------------------
// Encoding

const utf8 = new TextEncoder();

/** Serializes `value` of type `type` in normal form. */
export function encode(type: string | GvType, value: GvValue, endian: Endian): Uint8Array {
  const t = typeof type === 'string' ? parseType(type) : type;
  return enc(t, value, endian === 'le');
}

function enc(t: GvType, v: GvValue, le: boolean): Uint8Array {
  switch (t.kind) {
    case 'basic':
      return encBasic(t.c, v, le);
    case 'v': {
      const vv = v as Variant;
      if (!vv || typeof vv.type !== 'string') throw err(`expected a Variant for 'v'`);
      const child = enc(parseType(vv.type), vv.value, le);
      return concat([child, Uint8Array.of(0), utf8.encode(vv.type)]);
    }
    case 'm':
      if (v === null) return new Uint8Array(0);
      return t.elem.fixed !== null ? enc(t.elem, v, le) : concat([enc(t.elem, v, le), Uint8Array.of(0)]);
    case 'a':
      if (t.elem.kind === 'basic' && t.elem.c === 'y') {
        if (!(v instanceof Uint8Array)) throw err(`expected bytes for 'ay'`);
        return v;
      }
      if (!Array.isArray(v)) throw err(`expected an array for '${t.str}'`);
      return frame(v.map((x) => enc(t.elem, x, le)), t.elem.align, t.elem.fixed === null ? 'all' : 'none');
    case 'tuple': {
      if (!Array.isArray(v) || v.length !== t.members.length) throw err(`expected ${t.members.length} members for '${t.str}'`);
      const parts = t.members.map((m, i) => enc(m, v[i], le));
      if (t.fixed !== null) {
        const body = frame(parts, 0, 'none', t.members);
        return concat([body, new Uint8Array(t.fixed - body.length)]);
      }
      return frame(parts, 0, 'tuple', t.members);
    }
  }
}

/**
 * Lays out children with alignment padding, then appends framing offsets (ostree.md §1.5, §1.6):
 * 'all' = one per element in order (arrays); 'tuple' = one per variable non-last member, reversed.
 */
function frame(parts: Uint8Array[], elemAlign: number, offsets: 'all' | 'none' | 'tuple', members?: GvType[]): Uint8Array {
  const ends: number[] = [];
  let pos = 0;
  const starts: number[] = [];
  parts.forEach((p, i) => {
    const align = members ? members[i].align : elemAlign;
    pos = roundUp(pos, align);
    starts.push(pos);
    pos += p.length;
    if (offsets === 'all' || (offsets === 'tuple' && members![i].fixed === null && i < parts.length - 1)) ends.push(pos);
  });
  if (offsets === 'tuple') ends.reverse();
  const body = pos;
  let z = 0;
  if (ends.length > 0) for (z = 1; offsetWidth(body + ends.length * z) > z; z *= 2);
  const out = new Uint8Array(body + ends.length * z);
  parts.forEach((p, i) => out.set(p, starts[i]));
  ends.forEach((e, i) => writeOffset(out, body + i * z, z, e));
  return out;
}

function writeOffset(out: Uint8Array, at: number, z: number, value: number): void {
  for (let i = 0; i < z; i++) out[at + i] = i < 6 ? Math.floor(value / 2 ** (8 * i)) & 0xff : 0;
}

function encBasic(c: Basic, v: GvValue, le: boolean): Uint8Array {
  if (c === 's' || c === 'o' || c === 'g') {
    if (typeof v !== 'string') throw err(`expected a string for '${c}'`);
    checkString(c, v);
    return concat([utf8.encode(v), Uint8Array.of(0)]);
  }
  const out = new Uint8Array(FIXED[c]);
  const dv = new DataView(out.buffer);
  if (c === 'b') {
    if (typeof v !== 'boolean') throw err(`expected a boolean for 'b'`);
    out[0] = v ? 1 : 0;
  } else if (c === 'x' || c === 't') {
    if (typeof v !== 'bigint') throw err(`expected a bigint for '${c}'`);
    if (c === 't') dv.setBigUint64(0, checkRange(v, 0n, 2n ** 64n - 1n, c), le);
    else dv.setBigInt64(0, checkRange(v, -(2n ** 63n), 2n ** 63n - 1n, c), le);
  } else {
    if (typeof v !== 'number') throw err(`expected a number for '${c}'`);
    if (c === 'y') out[0] = checkRange(v, 0, 0xff, c);
    else if (c === 'n') dv.setInt16(0, checkRange(v, -0x8000, 0x7fff, c), le);
    else if (c === 'q') dv.setUint16(0, checkRange(v, 0, 0xffff, c), le);
    else if (c === 'u') dv.setUint32(0, checkRange(v, 0, 0xffffffff, c), le);
    else dv.setInt32(0, checkRange(v, -0x80000000, 0x7fffffff, c), le);
  }
  return out;
}

function checkRange<T extends number | bigint>(v: T, min: T, max: T, c: string): T {
  if (v < min || v > max || (typeof v === 'number' && !Number.isInteger(v))) throw err(`value ${v} out of range for '${c}'`);
  return v;
}

const OBJECT_PATH = /^\/$|^(\/[A-Za-z0-9_]+)+$/;

function checkString(c: Basic, v: string, offset?: number): void {
  if (v.includes('\0')) throw err('string contains a NUL byte', offset, c);
  if (c === 'o' && !OBJECT_PATH.test(v)) throw err(`invalid object path '${v}'`, offset, c);
  if (c === 'g') {
    for (let p = 0; p < v.length; ) p = parseAt(v, p, 0)[1];
  }
}

function concat(parts: Uint8Array[]): Uint8Array {
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Decoding

const utf8Strict = new TextDecoder('utf-8', { fatal: true });

/**
 * Decodes `data` as a value of `type`, requiring normal form (ostree.md §1.7): the data must be exactly
 * what `encode` writes for the decoded value. Throws CfsError code 'EGVARIANT' with the offset.
 */
export function decode(type: string | GvType, data: Uint8Array, endian: Endian, file?: string): GvValue {
  const t = typeof type === 'string' ? parseType(type) : type;
  let value: GvValue;
  try {
    value = dec(t, data, 0, endian === 'le', 0);
  } catch (e) {
    if (e instanceof CfsError) throw err(e.reason, e.offset, e.field ?? t.str, file);
    throw e;
  }
  const again = enc(t, value, endian === 'le');
  const n = Math.min(again.length, data.length);
  let i = 0;
  while (i < n && again[i] === data[i]) i++;
  if (i < n || again.length !== data.length) throw err(`'${t.str}' is not in normal form`, i, t.str, file);
  return value;
}

/** `base` is the absolute offset of `d` in the top-level buffer, for error messages. */
function dec(t: GvType, d: Uint8Array, base: number, le: boolean, depth: number): GvValue {
  if (depth > MAX_DEPTH) throw err('value nested too deeply', base);
  if (t.fixed !== null && d.length !== t.fixed)
    throw err(`'${t.str}' needs ${t.fixed} bytes, has ${d.length}`, base);
  switch (t.kind) {
    case 'basic':
      return decBasic(t.c, d, base, le);
    case 'v': {
      const sep = d.lastIndexOf(0);
      if (sep < 0) throw err('variant without type separator', base);
      const typeStr = latin1(d.subarray(sep + 1));
      let ct: GvType;
      try {
        ct = parseType(typeStr);
      } catch {
        throw err(`variant has invalid type '${typeStr}'`, base + sep + 1);
      }
      return { type: typeStr, value: dec(ct, d.subarray(0, sep), base, le, depth + 1) };
    }
    case 'm':
      if (d.length === 0) return null;
      if (t.elem.fixed !== null) return dec(t.elem, d, base, le, depth + 1);
      if (d[d.length - 1] !== 0) throw err('maybe value without trailing 00', base + d.length - 1);
      return dec(t.elem, d.subarray(0, d.length - 1), base, le, depth + 1);
    case 'a':
      return decArray(t.elem, d, base, le, depth);
    case 'tuple':
      return decTuple(t.members, t.nOffsets, d, base, le, depth);
  }
}

function decArray(elem: GvType, d: Uint8Array, base: number, le: boolean, depth: number): GvValue {
  if (elem.kind === 'basic' && elem.c === 'y') return d.slice();
  const out: GvValue[] = [];
  if (d.length === 0) return out;
  if (elem.fixed !== null) {
    if (d.length % elem.fixed !== 0) throw err(`array length ${d.length} is not a multiple of ${elem.fixed}`, base);
    for (let p = 0; p < d.length; p += elem.fixed) out.push(dec(elem, d.subarray(p, p + elem.fixed), base + p, le, depth + 1));
    return out;
  }
  const z = offsetWidth(d.length);
  const table = readOffset(d, d.length - z, z, base);
  if (table > d.length - z || (d.length - table) % z !== 0) throw err('bad array framing offset', base + d.length - z);
  const count = (d.length - table) / z;
  let prev = 0;
  for (let i = 0; i < count; i++) {
    const start = roundUp(prev, elem.align);
    const end = readOffset(d, table + i * z, z, base);
    if (start > end || end > table) throw err(`array element ${i} out of bounds`, base + table + i * z);
    out.push(dec(elem, d.subarray(start, end), base + start, le, depth + 1));
    prev = end;
  }
  return out;
}

/** Tuple reading algorithm of ostree.md §1.6. */
function decTuple(members: GvType[], nOffsets: number, d: Uint8Array, base: number, le: boolean, depth: number): GvValue {
  if (members.length === 0) {
    if (d.length !== 1 || d[0] !== 0) throw err(`'()' must be the byte 00`, base);
    return [];
  }
  const z = offsetWidth(d.length);
  const limit = d.length - nOffsets * z;
  if (limit < 0) throw err('tuple too short for its framing offsets', base);
  const out: GvValue[] = [];
  let prev = 0;
  let c = 0;
  members.forEach((m, i) => {
    const start = roundUp(prev, m.align);
    let end: number;
    if (m.fixed !== null) end = start + m.fixed;
    else if (i === members.length - 1) end = limit;
    else end = readOffset(d, d.length - ++c * z, z, base);
    if (start > end || end > limit) throw err(`tuple member ${i} out of bounds`, base + start);
    out.push(dec(m, d.subarray(start, end), base + start, le, depth + 1));
    prev = end;
  });
  return out;
}

function readOffset(d: Uint8Array, at: number, z: number, base: number): number {
  if (at < 0 || at + z > d.length) throw err('truncated framing offset', base + Math.max(at, 0));
  let v = 0;
  for (let i = 0; i < z; i++) {
    if (i >= 6 && d[at + i] !== 0) throw err('framing offset too large', base + at);
    v += d[at + i] * 2 ** (8 * i);
  }
  return v;
}

function decBasic(c: Basic, d: Uint8Array, base: number, le: boolean): GvValue {
  if (c === 's' || c === 'o' || c === 'g') {
    if (d.length === 0 || d[d.length - 1] !== 0) throw err('string not NUL-terminated', base + d.length);
    const nul = d.indexOf(0);
    if (nul !== d.length - 1) throw err('string contains a NUL byte', base + nul);
    let s: string;
    try {
      s = utf8Strict.decode(d.subarray(0, d.length - 1));
    } catch {
      throw err('string is not valid UTF-8', base);
    }
    checkString(c, s, base);
    return s;
  }
  const dv = new DataView(d.buffer, d.byteOffset, d.byteLength);
  switch (c) {
    case 'b':
      if (d[0] > 1) throw err(`boolean byte ${d[0]} is not 0 or 1`, base);
      return d[0] === 1;
    case 'y': return d[0];
    case 'n': return dv.getInt16(0, le);
    case 'q': return dv.getUint16(0, le);
    case 'i': case 'h': return dv.getInt32(0, le);
    case 'u': return dv.getUint32(0, le);
    case 'x': return dv.getBigInt64(0, le);
    case 't': return dv.getBigUint64(0, le);
  }
}

function latin1(b: Uint8Array): string {
  let s = '';
  for (const x of b) s += String.fromCharCode(x);
  return s;
}

// ---------------------------------------------------------------------------------------------
// a{sv} helpers (commit metadata, ostree.md §2.12)

export type VarDict = [string, Variant][];

/** First value of `key` (GLib's lookup is a linear scan returning the first match, ostree.md §1.7). */
export function lookup(dict: VarDict, key: string): Variant | undefined {
  return dict.find(([k]) => k === key)?.[1];
}
