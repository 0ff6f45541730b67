/**
 * GVariant text format as `g_variant_print(value, TRUE)` writes it — what `ostree show
 * --print-metadata-key` prints (spec ostree.md §2.13): type annotations where the text would be
 * ambiguous, `b'…'` for NUL-terminated byte strings, strings in single quotes unless they hold one.
 */
import { parseType, type GvType, type GvValue, type Variant } from './gvariant.js';

const NUMBER_PREFIX: Record<string, string> = {
  y: 'byte ', n: 'int16 ', q: 'uint16 ', u: 'uint32 ', x: 'int64 ', t: 'uint64 ', h: 'handle ',
};

export function printVariant(type: string | GvType, value: GvValue): string {
  return print(typeof type === 'string' ? parseType(type) : type, value, true);
}

function print(t: GvType, v: GvValue, annotate: boolean): string {
  switch (t.kind) {
    case 'basic':
      return printBasic(t.c, v, annotate);
    case 'v': {
      const vv = v as Variant;
      return `<${print(parseType(vv.type), vv.value, true)}>`;
    }
    case 'm': {
      // GLib 2.74: "@mT " when annotating, the child unannotated, "just " before a nested nothing.
      const prefix = annotate ? `@${t.str} ` : '';
      if (v === null) return `${prefix}nothing`;
      const inner = print(t.elem, v, false);
      return `${prefix}${inner.endsWith('nothing') ? 'just ' : ''}${inner}`;
    }
    case 'a':
      return printArray(t, v, annotate);
    case 'tuple': {
      const vs = v as GvValue[];
      const parts = t.members.map((m, i) => print(m, vs[i], annotate));
      if (t.str[0] === '{') return `{${parts.join(', ')}}`;
      return parts.length === 1 ? `(${parts[0]},)` : `(${parts.join(', ')})`;
    }
  }
}

function printArray(t: GvType & { kind: 'a' | 'm'; elem: GvType }, v: GvValue, annotate: boolean): string {
  const elem = t.elem;
  let items: GvValue[];
  if (v instanceof Uint8Array) {
    // g_variant_print: a byte string ending in its only NUL prints as b'…' (g_strescape'd).
    if (v.length > 0 && v.indexOf(0) === v.length - 1) {
      const s = strescape(v.subarray(0, v.length - 1));
      return v.includes(0x27) ? `b"${s}"` : `b'${s}'`;
    }
    items = Array.from(v);
  } else {
    items = v as GvValue[];
  }
  if (items.length === 0) return `${annotate ? `@${t.str} ` : ''}${elem.str[0] === '{' ? '{}' : '[]'}`;
  const parts = items.map((x, i) => {
    if (elem.str[0] !== '{') return print(elem, x, annotate && i === 0);
    const [k, val] = x as GvValue[];
    const members = (elem as GvType & { kind: 'tuple' }).members;
    return `${print(members[0], k, annotate && i === 0)}: ${print(members[1], val, annotate && i === 0)}`;
  });
  return elem.str[0] === '{' ? `{${parts.join(', ')}}` : `[${parts.join(', ')}]`;
}

function printBasic(c: string, v: GvValue, annotate: boolean): string {
  const prefix = annotate ? (NUMBER_PREFIX[c] ?? '') : '';
  switch (c) {
    case 'b': return v ? 'true' : 'false';
    case 'y': return `${prefix}0x${(v as number).toString(16).padStart(2, '0')}`;
    case 's': return quote(v as string);
    case 'o': return `${annotate ? 'objectpath ' : ''}${quote(v as string)}`;
    case 'g': return `${annotate ? 'signature ' : ''}${quote(v as string)}`;
    default: return `${prefix}${String(v)}`;
  }
}

/** g_unichar_isprint is false for control, format, unassigned and surrogate code points. */
const NON_PRINTABLE = /[\p{Cc}\p{Cf}\p{Cn}\p{Cs}]/u;
const CONTROL_ESCAPES: Record<number, string> = { 7: 'a', 8: 'b', 12: 'f', 10: 'n', 13: 'r', 9: 't', 11: 'v' };

function quote(s: string): string {
  const q = s.includes("'") ? '"' : "'";
  let out = q;
  for (const ch of s) {
    const cp = ch.codePointAt(0)!;
    if (ch === q || ch === '\\') out += '\\';
    if (!NON_PRINTABLE.test(ch)) out += ch;
    else if (CONTROL_ESCAPES[cp]) out += `\\${CONTROL_ESCAPES[cp]}`;
    else out += cp < 0x10000 ? `\\u${cp.toString(16).padStart(4, '0')}` : `\\U${cp.toString(16).padStart(8, '0')}`;
  }
  return out + q;
}

/** g_strescape: C escapes for \b \f \n \r \t \v \\ \", octal for other bytes outside 0x20..0x7e. */
function strescape(b: Uint8Array): string {
  const named: Record<number, string> = { 8: 'b', 12: 'f', 10: 'n', 13: 'r', 9: 't', 11: 'v', 0x5c: '\\', 0x22: '"' };
  let out = '';
  for (const x of b) {
    if (named[x]) out += `\\${named[x]}`;
    else if (x < 0x20 || x >= 0x7f) out += `\\${x.toString(8).padStart(3, '0')}`;
    else out += String.fromCharCode(x);
  }
  return out;
}
