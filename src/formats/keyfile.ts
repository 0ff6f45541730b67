/**
 * GLib keyfile (GKeyFile) parse and print, as ostree reads and writes `.origin` files and the repo
 * `config` (ostree.md §3.3, §9). ostree loads keyfiles with G_KEY_FILE_NONE, so comments and blank lines
 * are dropped on load, and writes them with g_key_file_to_data(): `[group]` lines, `key=value`
 * lines, groups separated by one blank line. Printing a file ostree wrote gives back the same bytes.
 *
 * Parse rules (GLib gkeyfile.c): a `\r` before `\n` is dropped; leading whitespace of a line is
 * ignored; `#` or an empty line is a comment; `[name]` (trailing spaces/tabs allowed) starts or
 * re-opens a group; `key=value` trims whitespace around the key and before the value, keeps
 * trailing whitespace of the value; a repeated key keeps both lines and later reads/writes use the
 * last one; anything else is an error.
 */
import { CfsError, type ErrorPlace } from '../errors.js';

/** Upper bound on keyfile size we accept (an `.origin` is a few hundred bytes). */
export const KEYFILE_MAX_BYTES = 1 << 20;

interface Entry {
  key: string;
  value: string;
}

interface Group {
  name: string;
  entries: Entry[];
}

export class KeyFile {
  private groups: Group[] = [];

  /** Group names in file order. */
  groupNames(): string[] {
    return this.groups.map((g) => g.name);
  }

  hasGroup(group: string): boolean {
    return this.group(group) !== undefined;
  }

  /** Keys of a group in file order (a repeated key once). */
  keys(group: string): string[] {
    const g = this.group(group);
    return g ? [...new Set(g.entries.map((e) => e.key))] : [];
  }

  /** The raw (still escaped) value, as g_key_file_get_value. */
  getValue(group: string, key: string): string | undefined {
    return this.entry(group, key)?.value;
  }

  /** The unescaped string value, as g_key_file_get_string. */
  getString(group: string, key: string): string | undefined {
    const v = this.getValue(group, key);
    return v === undefined ? undefined : unescapeValue(v, { group, key });
  }

  /** g_key_file_get_boolean: `true`/`1` or `false`/`0` (surrounding whitespace ignored). */
  getBoolean(group: string, key: string): boolean | undefined {
    const v = this.getValue(group, key);
    if (v === undefined) return undefined;
    const t = v.trim();
    if (t === 'true' || t === '1') return true;
    if (t === 'false' || t === '0') return false;
    throw new CfsError(`value '${v}' cannot be interpreted as a boolean`, { field: `${group}.${key}`, code: 'EKEYFILE' });
  }

  /** g_key_file_set_value: replaces the last occurrence, else appends to the group (created at the end). */
  setValue(group: string, key: string, value: string): void {
    checkGroupName(group, {});
    checkKeyName(key, {});
    if (/[\n\r]/.test(value)) {
      throw new CfsError('a raw keyfile value cannot contain a line break', { field: `${group}.${key}`, code: 'EKEYFILE' });
    }
    const e = this.entry(group, key);
    if (e) e.value = value;
    else this.ensureGroup(group).entries.push({ key, value });
  }

  /** g_key_file_set_string: escapes `\`, line breaks, tabs and a leading space. */
  setString(group: string, key: string, value: string): void {
    this.setValue(group, key, escapeValue(value));
  }

  setBoolean(group: string, key: string, value: boolean): void {
    this.setValue(group, key, value ? 'true' : 'false');
  }

  /** Removes every occurrence of the key; returns whether one existed. */
  removeKey(group: string, key: string): boolean {
    const g = this.group(group);
    if (!g) return false;
    const before = g.entries.length;
    g.entries = g.entries.filter((e) => e.key !== key);
    return g.entries.length !== before;
  }

  removeGroup(group: string): boolean {
    const before = this.groups.length;
    this.groups = this.groups.filter((g) => g.name !== group);
    return this.groups.length !== before;
  }

  /** g_key_file_to_data. */
  toString(): string {
    let out = '';
    for (const g of this.groups) {
      // "separate groups by at least an empty line"
      if (out.length >= 2 && out[out.length - 2] !== '\n') out += '\n';
      out += `[${g.name}]\n`;
      for (const e of g.entries) out += `${e.key}=${e.value}\n`;
    }
    return out;
  }

  private group(name: string): Group | undefined {
    return this.groups.find((g) => g.name === name);
  }

  private ensureGroup(name: string): Group {
    let g = this.group(name);
    if (!g) {
      g = { name, entries: [] };
      this.groups.push(g);
    }
    return g;
  }

  private entry(group: string, key: string): Entry | undefined {
    const g = this.group(group);
    if (!g) return undefined;
    for (let i = g.entries.length - 1; i >= 0; i--) if (g.entries[i].key === key) return g.entries[i];
    return undefined;
  }

  /** Parses keyfile bytes; `file` names the input in errors. */
  static parse(data: Uint8Array | string, file = '-'): KeyFile {
    if (typeof data !== 'string') {
      if (data.length > KEYFILE_MAX_BYTES) {
        throw new CfsError(`keyfile larger than ${KEYFILE_MAX_BYTES} bytes`, { file, code: 'EKEYFILE' });
      }
      try {
        data = new TextDecoder('utf-8', { fatal: true }).decode(data);
      } catch {
        throw new CfsError('keyfile is not valid UTF-8', { file, code: 'EKEYFILE' });
      }
    } else if (data.length > KEYFILE_MAX_BYTES) {
      throw new CfsError(`keyfile larger than ${KEYFILE_MAX_BYTES} bytes`, { file, code: 'EKEYFILE' });
    }
    const kf = new KeyFile();
    let current: Group | undefined;
    const lines = data.split('\n');
    if (lines[lines.length - 1] === '') lines.pop();
    lines.forEach((raw, i) => {
      const place = { file, line: i + 1, code: 'EKEYFILE' as const };
      const line = (raw.endsWith('\r') ? raw.slice(0, -1) : raw).replace(/^[\t\n\v\f\r ]+/, '');
      if (line === '' || line[0] === '#') return;
      const group = /^\[([^\]]*)\][ \t]*$/.exec(line);
      if (group) {
        checkGroupName(group[1], place);
        current = kf.ensureGroup(group[1]);
        return;
      }
      const eq = line.indexOf('=');
      if (eq <= 0) {
        throw new CfsError(`line '${truncate(line)}' is not a key-value pair, group, or comment`, place);
      }
      if (!current) throw new CfsError('key file does not start with a group', place);
      const key = line.slice(0, eq).replace(/[\t\n\v\f\r ]+$/, '');
      checkKeyName(key, place);
      current.entries.push({ key, value: line.slice(eq + 1).replace(/^[\t\n\v\f\r ]+/, '') });
    });
    return kf;
  }
}

function truncate(s: string): string {
  return s.length > 80 ? `${s.slice(0, 80)}…` : s;
}

/** g_key_file_is_group_name: non-empty, no `[`, `]` or control characters. */
function checkGroupName(name: string, place: ErrorPlace): void {
  // eslint-disable-next-line no-control-regex
  if (name === '' || /[[\]\x00-\x1f\x7f]/.test(name)) {
    throw new CfsError(`invalid group name '${truncate(name)}'`, { ...place, code: 'EKEYFILE' });
  }
}

/** g_key_file_is_key_name: non-empty, no `=`, `[`, `]` except a trailing `[locale]`, no edge spaces. */
function checkKeyName(key: string, place: ErrorPlace): void {
  const ok = /^[^=[\]\n]+(\[[\p{L}\p{N}\-_.@]*\])?$/u.test(key) && !key.startsWith(' ') && !/ (\[|$)/.test(key);
  if (!ok) throw new CfsError(`invalid key name '${truncate(key)}'`, { ...place, code: 'EKEYFILE' });
}

/** g_key_file_parse_value_as_string escapes. */
function unescapeValue(v: string, at: { group: string; key: string }): string {
  return v.replace(/\\(.?)/g, (_m, c: string) => {
    switch (c) {
      case 's': return ' ';
      case 'n': return '\n';
      case 't': return '\t';
      case 'r': return '\r';
      case '\\': return '\\';
      default:
        throw new CfsError(`invalid escape sequence '\\${c}'`, { field: `${at.group}.${at.key}`, code: 'EKEYFILE' });
    }
  });
}

/** g_key_file_parse_string_as_value (escape_separator = FALSE). */
function escapeValue(s: string): string {
  let out = '';
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (c === ' ' && i === 0) out += '\\s';
    else if (c === '\n') out += '\\n';
    else if (c === '\t') out += '\\t';
    else if (c === '\r') out += '\\r';
    else if (c === '\\') out += '\\\\';
    else out += c;
  }
  return out;
}
