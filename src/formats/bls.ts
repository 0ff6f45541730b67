/**
 * Boot Loader Specification entries as ostree reads and writes them (ostree.md §3.5,
 * `ostree-bootconfig-parser.c`): one `key value` per line, split at the first space or tab; lines
 * not starting with an ASCII letter are ignored; a later key overwrites an earlier one except
 * `initrd`, whose second and later lines are overlay initrds.
 */
import { CfsError } from '../errors.js';

/** BLS entry files larger than this are refused (real ones are a few hundred bytes). */
export const BLS_MAX_BYTES = 64 * 1024;

/** Keys ostree writes first, in this order (ostree.md §3.5); other keys follow in insertion order. */
const WRITE_ORDER = ['title', 'version', 'options', 'devicetree', 'linux'] as const;

export class BootEntry {
  /** Single-valued keys (everything except `initrd`), in first-seen order. */
  readonly keys = new Map<string, string>();
  /** `initrd` lines: the first is the main initramfs, the rest are overlay initrds. */
  initrds: string[] = [];

  get(key: string): string | undefined {
    return this.keys.get(key);
  }

  set(key: string, value: string): void {
    if (!/^[A-Za-z][^ \t\n]*$/.test(key) || key === 'initrd') {
      throw new CfsError(`invalid BLS key '${key}'`, { field: key, code: 'EBLS' });
    }
    if (value.includes('\n')) throw new CfsError('a BLS value cannot contain a line break', { field: key, code: 'EBLS' });
    this.keys.set(key, value);
  }

  get title(): string | undefined { return this.get('title'); }
  get version(): string | undefined { return this.get('version'); }
  get options(): string | undefined { return this.get('options'); }
  get linux(): string | undefined { return this.get('linux'); }

  /** The entry file text in ostree's key order, each line ending in `\n`. */
  toString(): string {
    let out = '';
    const line = (k: string, v: string) => {
      out += `${k} ${v}\n`;
    };
    for (const k of WRITE_ORDER) {
      const v = this.keys.get(k);
      if (v !== undefined) line(k, v);
    }
    for (const v of this.initrds) line('initrd', v);
    for (const [k, v] of this.keys) if (!(WRITE_ORDER as readonly string[]).includes(k)) line(k, v);
    return out;
  }

  /** Parses an entry file (must be UTF-8, as glnx_file_get_contents_utf8_at requires). */
  static parse(data: Uint8Array | string, file = '-'): BootEntry {
    if (data.length > BLS_MAX_BYTES) throw new CfsError(`BLS entry larger than ${BLS_MAX_BYTES} bytes`, { file, code: 'EBLS' });
    let text: string;
    if (typeof data === 'string') text = data;
    else {
      try {
        text = new TextDecoder('utf-8', { fatal: true }).decode(data);
      } catch {
        throw new CfsError('BLS entry is not valid UTF-8', { file, code: 'EBLS' });
      }
    }
    if (text.includes('\0')) throw new CfsError('BLS entry contains a NUL byte', { file, code: 'EBLS' });
    const entry = new BootEntry();
    for (const line of text.split('\n')) {
      if (!/^[A-Za-z]/.test(line)) continue;
      const sep = line.search(/[ \t]/);
      if (sep < 0) continue;
      const key = line.slice(0, sep);
      const value = line.slice(sep + 1);
      if (key === 'initrd') entry.initrds.push(value);
      else entry.keys.set(key, value);
    }
    return entry;
  }
}

/** ostree 2022.7 entry file name for deployment index `i` of `n` (ostree.md §3.5). */
export function entryFileName(n: number, i: number, stateroot: string): string {
  return `ostree-${n - i}-${stateroot}.conf`;
}

/** Names readers accept: any `ostree-*.conf` (both 2022.7 and main namings; ostree.md §3.5). */
export function isEntryFileName(name: string): boolean {
  return name.startsWith('ostree-') && name.endsWith('.conf');
}

/**
 * ostree's entry order (`compare_boot_loader_configs`): entries with a `version` first, by
 * strverscmp descending.
 */
export function compareEntries(a: BootEntry, b: BootEntry): number {
  const av = a.version;
  const bv = b.version;
  if (av !== undefined && bv !== undefined) return -strverscmp(av, bv);
  if (av !== undefined) return -1;
  return 1;
}

// glibc strverscmp state machine: states S_N, S_I, S_F, S_Z (offsets 0, 3, 6, 9) plus the class of
// the current byte (0 other, 1 digit, 2 '0').
const S_N = 0, S_I = 3, S_F = 6, S_Z = 9, CMP = 2, LEN = 3;
const NEXT_STATE = [S_N, S_I, S_Z, S_N, S_I, S_I, S_N, S_F, S_F, S_N, S_F, S_Z];
const RESULT_TYPE = [
  CMP, CMP, CMP, CMP, LEN, CMP, CMP, CMP, CMP,
  CMP, -1, -1, +1, LEN, LEN, +1, LEN, LEN,
  CMP, CMP, CMP, CMP, CMP, CMP, CMP, CMP, CMP,
  CMP, +1, +1, -1, CMP, CMP, -1, CMP, CMP,
];

/** glibc strverscmp over UTF-8 bytes: compares numeric runs by value ("9" < "10"). */
export function strverscmp(s1: string, s2: string): number {
  const p1 = Buffer.from(s1 + '\0');
  const p2 = Buffer.from(s2 + '\0');
  const isDigit = (c: number) => c >= 0x30 && c <= 0x39;
  const cls = (c: number) => (c === 0x30 ? 1 : 0) + (isDigit(c) ? 1 : 0);
  let i = 0;
  let c1 = p1[i];
  let c2 = p2[i];
  i++;
  let state = S_N + cls(c1);
  let diff: number;
  while ((diff = c1 - c2) === 0) {
    if (c1 === 0) return 0;
    state = NEXT_STATE[state];
    c1 = p1[i];
    c2 = p2[i];
    i++;
    state += cls(c1);
  }
  const result = RESULT_TYPE[state * 3 + cls(c2)];
  if (result === CMP) return diff;
  if (result === LEN) {
    let j = i;
    while (isDigit(p1[j] ?? 0)) {
      if (!isDigit(p2[j] ?? 0)) return 1;
      j++;
    }
    return isDigit(p2[j] ?? 0) ? -1 : diff;
  }
  return result;
}
