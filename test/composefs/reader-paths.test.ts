/**
 * readImage's `paths` option on the C images of the random vectors: every selected subtree equals
 * the same subtree of a full load (hardlinks compared through their target inode), the directories
 * along the way hold only the selected children, and an absent path loads nothing.
 */
import { expect } from 'chai';
import { existsSync, readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { readImage } from '../../src/composefs/erofs/reader.js';
import type { Node } from '../../src/tree/tree.js';
import { randomVectors } from './vectors.js';

const text = (b: Uint8Array | null) => (b ? Buffer.from(b).toString('hex') : '-');
const rel = (n: Node) => Buffer.from(n.path()).toString('latin1').replace(/^\//, '');

/** One line per node of a subtree: its path and its inode's attributes and data. */
function describeTree(top: Node): string[] {
  const lines: string[] = [];
  const stack = [top];
  while (stack.length > 0) {
    const n = stack.pop()!;
    const t = n.target;
    const xattrs = t.xattrs.map((x) => `${text(x.key)}=${text(x.value)}`).join(',');
    lines.push(`${rel(n)} ${t.mode} ${t.nlink} ${t.uid} ${t.gid} ${t.rdev} ${t.mtimeSec}.${t.mtimeNsec} ${t.size} ${text(t.payload)} ${text(t.content)} ${text(t.digest)} ${xattrs}`);
    if (n.children) stack.push(...n.children);
  }
  return lines.sort();
}

/** Every path of a tree (root excluded), in walk order. */
function allPaths(root: Node): Node[] {
  const out: Node[] = [];
  const stack = [...(root.children ?? [])];
  while (stack.length > 0) {
    const n = stack.pop()!;
    out.push(n);
    if (n.children) stack.push(...n.children);
  }
  return out;
}

function lookupRel(root: Node, path: string): Node | undefined {
  let n: Node | undefined = root;
  for (const part of path.split('/')) n = n?.lookup(Buffer.from(part, 'latin1'));
  return n;
}

describe('composefs reader: load only given paths', () => {
  let compared = 0;
  for (const v of randomVectors()) {
    for (const version of [0, 1] as const) {
      const file = v.path.replace(/\.dump\.gz$/, `.v${version}.cfs.gz`);
      if (!existsSync(file)) continue;
      it(`${v.name} v${version}: selected subtrees equal those of a full load`, () => {
        const bytes = gunzipSync(readFileSync(file));
        const full = readImage(bytes, { file });
        const nodes = allPaths(full);
        // a deterministic spread of paths at every depth, files and directories, plus an absent one
        const picked = nodes.filter((_, i) => i % 7 === 3).map(rel);
        if (picked.length === 0 && nodes.length > 0) picked.push(rel(nodes[0]));
        const part = readImage(bytes, { file, paths: [...picked.map((p) => Buffer.from(p, 'latin1')), 'no/such/path'] });
        for (const p of picked) {
          const got = lookupRel(part, p);
          expect(got, p).to.not.equal(undefined);
          expect(describeTree(got!)).to.deep.equal(describeTree(lookupRel(full, p)!));
        }
        // nothing beyond the selected paths and the directories along the way
        const allowed = new Set<string>();
        for (const p of picked) {
          const parts = p.split('/');
          for (let i = 1; i < parts.length; i++) allowed.add(parts.slice(0, i).join('/'));
        }
        for (const n of allPaths(part)) {
          const r = rel(n);
          const inside = picked.some((p) => r === p || r.startsWith(`${p}/`));
          expect(inside || allowed.has(r), `unexpected ${r}`).to.equal(true);
          // hardlink aliases point into what was loaded
          if (n.linkTo) expect(lookupRel(part, rel(n.linkTo)), `${r} alias target`).to.equal(n.linkTo);
        }
        expect(lookupRel(part, 'no')).to.equal(undefined);
        compared++;
      });
    }
  }
  it('paths of an empty list load the root alone; a path of the whole root loads all', () => {
    const v = randomVectors().find((r) => existsSync(r.path.replace(/\.dump\.gz$/, '.v1.cfs.gz')))!;
    const bytes = gunzipSync(readFileSync(v.path.replace(/\.dump\.gz$/, '.v1.cfs.gz')));
    expect(readImage(bytes, { paths: [] }).children).to.deep.equal([]);
    expect(describeTree(readImage(bytes, { paths: [''] }))).to.deep.equal(describeTree(readImage(bytes)));
  });
  after(() => {
    if (compared > 0) expect(compared).to.equal(138);
  });
});
