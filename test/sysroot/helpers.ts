/** Shared helpers for the sysroot tests: temp dirs and a tree listing to compare sysroots. */
import { existsSync, lstatSync, mkdtempSync, readdirSync, readlinkSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A fresh temp directory (in RAM with `inRam` when /dev/shm exists); call remove() after the suite. */
export function tempDir(prefix = 'cfskit-sysroot-', inRam = false): { path: string; remove: () => void } {
  const base = inRam && existsSync('/dev/shm') ? '/dev/shm' : tmpdir();
  const path = mkdtempSync(join(base, prefix));
  return { path, remove: () => rmSync(path, { recursive: true, force: true }) };
}

/** Every entry under `root` as "MODE relpath [-> target]", sorted (modes in octal incl. type). */
export function listTree(root: string): string[] {
  const out: string[] = [];
  const walk = (rel: string) => {
    for (const name of readdirSync(join(root, rel))) {
      const p = rel ? `${rel}/${name}` : name;
      const st = lstatSync(join(root, p));
      out.push(`${st.mode.toString(8)} ${p}${st.isSymbolicLink() ? ` -> ${readlinkSync(join(root, p))}` : ''}`);
      if (st.isDirectory()) walk(p);
    }
  };
  walk('');
  return out.sort();
}
