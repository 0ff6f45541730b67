/**
 * GKeyFile text (repo `config`, `.origin` files; spec ostree.md §2.2, §9): `[group]` headers and
 * `key=value` lines; `#` comments and blank lines are skipped on read, whitespace around `=` trimmed.
 * Writing follows g_key_file_to_data: groups in insertion order separated by one blank line.
 */
import { CfsError } from '../errors.js';

export type KeyFile = Map<string, Map<string, string>>;

export function parseKeyFile(text: string, file?: string): KeyFile {
  const kf: KeyFile = new Map();
  let group: Map<string, string> | undefined;
  text.split('\n').forEach((raw, i) => {
    const line = raw.replace(/\r$/, '').trim();
    if (line === '' || line.startsWith('#')) return;
    const header = /^\[([^\][]+)\]$/.exec(line);
    if (header) {
      group = kf.get(header[1]) ?? new Map();
      kf.set(header[1], group);
      return;
    }
    const eq = line.indexOf('=');
    if (eq <= 0 || !group) throw new CfsError(`not a key file line: '${line}'`, { file, line: i + 1, code: 'EKEYFILE' });
    group.set(line.slice(0, eq).trim(), line.slice(eq + 1).trim());
  });
  return kf;
}

export function formatKeyFile(kf: KeyFile): string {
  return [...kf]
    .map(([name, keys]) => `[${name}]\n${[...keys].map(([k, v]) => `${k}=${v}\n`).join('')}`)
    .join('\n');
}

export function keyFileGet(kf: KeyFile, group: string, key: string): string | undefined {
  return kf.get(group)?.get(key);
}
