/** Builds small usr/etc trees for the /etc merge tests and describes an etc/ on disk. */
import { lstatSync, readFileSync, readdirSync, readlinkSync } from 'node:fs';
import { Node, S_IFDIR, S_IFLNK, S_IFREG } from '../../../src/tree/tree.js';
import type { EtcDefaults } from '../../../src/sysroot/etc/etc-merge.js';

export type Spec = { [name: string]: Entry };
export type Entry =
  | { kind: 'f'; content: string; mode: number; uid: number; gid: number; xattr?: [string, string] }
  | { kind: 'd'; children: Spec; mode: number; uid: number; gid: number }
  | { kind: 'l'; target: string };

export const F = (content: string, mode = 0o644, uid = 0, gid = 0): Entry => ({ kind: 'f', content, mode, uid, gid });
export const D = (children: Spec = {}, mode = 0o755, uid = 0, gid = 0): Entry => ({ kind: 'd', children, mode, uid, gid });
export const S = (target: string): Entry => ({ kind: 'l', target });

const enc = (s: string) => new TextEncoder().encode(s);

export function buildTree(spec: Spec): EtcDefaults {
  const root = new Node(new Uint8Array(0), S_IFDIR | 0o755);
  const add = (dir: Node, s: Spec) => {
    for (const [name, e] of Object.entries(s)) {
      let n: Node;
      if (e.kind === 'f') {
        n = new Node(enc(name), S_IFREG | e.mode);
        n.content = enc(e.content);
        n.size = BigInt(n.content.length);
        if (e.xattr) n.setXattr(enc(e.xattr[0]), enc(e.xattr[1]));
      } else if (e.kind === 'd') {
        n = new Node(enc(name), S_IFDIR | e.mode);
        add(n, e.children);
      } else {
        n = new Node(enc(name), S_IFLNK | 0o777);
        n.payload = enc(e.target);
      }
      if (e.kind !== 'l') {
        n.uid = e.uid;
        n.gid = e.gid;
      }
      dir.addChild(n);
    }
  };
  add(root, spec);
  return { root, content: (n) => ({ bytes: n.target.content ?? new Uint8Array(0) }) };
}

/** "path: f 0644 0:0 content" / "d 0755 0:0" / "l -> target" for every entry under `dir`. */
export function describeEtc(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (rel: string) => {
    for (const name of readdirSync(rel ? `${dir}/${rel}` : dir).sort()) {
      const p = rel ? `${rel}/${name}` : name;
      const st = lstatSync(`${dir}/${p}`);
      const own = `${(st.mode & 0o7777).toString(8).padStart(4, '0')} ${st.uid}:${st.gid}`;
      if (st.isSymbolicLink()) out[p] = `l -> ${readlinkSync(`${dir}/${p}`)}`;
      else if (st.isDirectory()) {
        out[p] = `d ${own}`;
        walk(p);
      } else out[p] = `f ${own} ${readFileSync(`${dir}/${p}`, 'utf8')}`;
    }
  };
  walk('');
  return out;
}
