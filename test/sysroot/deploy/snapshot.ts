/** What "nothing written, nothing deleted" compares: every path under a directory with its size and inode. */
import { lstatSync, readdirSync } from 'node:fs';
import { join, relative } from 'node:path';

export function snapshot(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const name of readdirSync(d)) {
      const p = join(d, name);
      const st = lstatSync(p);
      if (st.isDirectory()) walk(p);
      out.push(`${relative(dir, p)} ${st.size} ${st.ino}`);
    }
  };
  walk(dir);
  return out.sort();
}
