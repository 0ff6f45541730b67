/**
 * The /etc 3-way merge table. Each row: the old image's usr/etc, local changes made to the old
 * deployment's etc/, the new image's usr/etc, and what ostree 2022.7 produces
 * (merge_configuration_from(), ostree.md §4.2: removed paths deleted, modified then added paths copied
 * from the old etc/, the local version wins, a directory in the new defaults is never replaced).
 * etc-merge.test.ts checks our merge against the expectations; etc-merge-ostree.test.ts runs the
 * same rows through real `ostree admin deploy`.
 */
import { chmodSync, chownSync, mkdirSync, rmSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import { D, F, S, type Spec } from './etc-tree.js';

export interface Row {
  name: string;
  orig: Spec;
  local: (etc: string) => void;
  next: Spec;
  /** Expected entries (null = absent), or the error ostree fails with. */
  expect: Record<string, string | null> | RegExp;
  /** [modified, removed, added] as ostree counts them. */
  counts?: [number, number, number];
  root?: boolean;
}

const none = () => {};

export const ROWS: Row[] = [
  { name: 'unchanged file follows the new default', orig: { a: F('1') }, local: none, next: { a: F('2') }, expect: { a: 'f 0644 0:0 2' }, counts: [0, 0, 0] },
  { name: 'locally modified file, default unchanged: local kept', orig: { a: F('1') }, local: (e) => writeFileSync(`${e}/a`, 'L'), next: { a: F('1') }, expect: { a: 'f 0644 0:0 L' }, counts: [1, 0, 0] },
  { name: 'modified locally and by the vendor: local wins', orig: { a: F('1') }, local: (e) => writeFileSync(`${e}/a`, 'L'), next: { a: F('2') }, expect: { a: 'f 0644 0:0 L' } },
  { name: 'locally deleted, default unchanged: stays deleted', orig: { a: F('1'), b: F('b') }, local: (e) => unlinkSync(`${e}/a`), next: { a: F('1'), b: F('b') }, expect: { a: null, b: 'f 0644 0:0 b' }, counts: [0, 1, 0] },
  { name: 'locally deleted, default changed: stays deleted', orig: { a: F('1') }, local: (e) => unlinkSync(`${e}/a`), next: { a: F('2') }, expect: { a: null } },
  { name: 'locally added file is copied', orig: {}, local: (e) => writeFileSync(`${e}/new`, 'N', { mode: 0o640 }), next: {}, expect: { new: 'f 0640 0:0 N' }, counts: [0, 0, 1] },
  {
    name: 'locally added nested directories, parents before children',
    orig: {},
    local: (e) => {
      mkdirSync(`${e}/x/y/z`, { recursive: true });
      chmodSync(`${e}/x`, 0o750);
      writeFileSync(`${e}/x/y/z/f`, 'deep');
    },
    next: {},
    expect: { x: 'd 0750 0:0', 'x/y': 'd 0755 0:0', 'x/y/z': 'd 0755 0:0', 'x/y/z/f': 'f 0644 0:0 deep' },
    counts: [0, 0, 4],
  },
  { name: 'chmod-only change is a modification: local mode and old content', orig: { a: F('1') }, local: (e) => chmodSync(`${e}/a`, 0o600), next: { a: F('2') }, expect: { a: 'f 0600 0:0 1' }, counts: [1, 0, 0] },
  { name: 'chown-only change is a modification', orig: { a: F('1') }, local: (e) => chownSync(`${e}/a`, 1000, 1000), next: { a: F('1') }, expect: { a: 'f 0644 1000:1000 1' }, root: true },
  {
    name: 'file → directory locally: the directory replaces the new default file',
    orig: { f: F('x') },
    local: (e) => {
      unlinkSync(`${e}/f`);
      mkdirSync(`${e}/f`, { mode: 0o755 });
      writeFileSync(`${e}/f/inner`, 'i');
    },
    next: { f: F('x2') },
    expect: { f: 'd 0755 0:0', 'f/inner': 'f 0644 0:0 i' },
    // the diff does not descend into a type change: f/inner is copied with f, not counted
    counts: [1, 0, 0],
  },
  {
    name: 'directory → file locally while the default stays a directory: ostree refuses',
    orig: { d: D({ x: F('x') }) },
    local: (e) => {
      rmSync(`${e}/d`, { recursive: true });
      writeFileSync(`${e}/d`, 'now a file');
    },
    next: { d: D({ x: F('x') }) },
    expect: /Modified config file newly defaults to directory 'd', cannot merge/,
  },
  {
    name: 'file → symlink locally',
    orig: { a: F('1') },
    local: (e) => {
      unlinkSync(`${e}/a`);
      symlinkSync('../target', `${e}/a`);
    },
    next: { a: F('2') },
    expect: { a: 'l -> ../target' },
  },
  {
    name: 'symlink retargeted locally',
    orig: { s: S('one') },
    local: (e) => {
      unlinkSync(`${e}/s`);
      symlinkSync('two', `${e}/s`);
    },
    next: { s: S('one') },
    expect: { s: 'l -> two' },
    counts: [1, 0, 0],
  },
  {
    name: 'symlink → file locally',
    orig: { s: S('one') },
    local: (e) => {
      unlinkSync(`${e}/s`);
      writeFileSync(`${e}/s`, 'f');
    },
    next: { s: S('three') },
    expect: { s: 'f 0644 0:0 f' },
  },
  { name: 'unchanged symlink follows the new default target', orig: { s: S('one') }, local: none, next: { s: S('three') }, expect: { s: 'l -> three' }, counts: [0, 0, 0] },
  { name: 'locally modified file that newly defaults to a directory: ostree refuses', orig: { a: F('1') }, local: (e) => writeFileSync(`${e}/a`, 'L'), next: { a: D({ x: F('x') }) }, expect: /newly defaults to directory 'a'/ },
  { name: 'directory mode changed locally, nothing below: new default mode', orig: { d: D({ x: F('x') }) }, local: (e) => chmodSync(`${e}/d`, 0o700), next: { d: D({ x: F('x') }) }, expect: { d: 'd 0755 0:0', 'd/x': 'f 0644 0:0 x' }, counts: [1, 0, 0] },
  {
    name: 'directory mode changed locally and a file added below: local mode applied',
    orig: { d: D({ x: F('x') }) },
    local: (e) => {
      chmodSync(`${e}/d`, 0o700);
      writeFileSync(`${e}/d/n`, 'n');
    },
    next: { d: D({ x: F('x') }) },
    expect: { d: 'd 0700 0:0', 'd/n': 'f 0644 0:0 n', 'd/x': 'f 0644 0:0 x' },
    counts: [1, 0, 1],
  },
  { name: 'file added by the new default appears', orig: {}, local: none, next: { c: F('c') }, expect: { c: 'f 0644 0:0 c' } },
  { name: 'unchanged file removed by the new default disappears', orig: { a: F('1'), b: F('b') }, local: none, next: { b: F('b') }, expect: { a: null } },
  {
    name: 'locally modified file in a directory the new default drops: directory recreated from the old etc',
    orig: { d: D({ a: F('1') }, 0o750) },
    local: (e) => writeFileSync(`${e}/d/a`, 'L'),
    next: {},
    expect: { d: 'd 0750 0:0', 'd/a': 'f 0644 0:0 L' },
  },
  {
    name: 'locally deleted directory stays deleted though the default grew',
    orig: { d: D({ x: F('x') }) },
    local: (e) => rmSync(`${e}/d`, { recursive: true }),
    next: { d: D({ x: F('x'), y: F('y') }) },
    expect: { d: null },
    counts: [0, 1, 0],
  },
  { name: 'local file added in a directory that newly defaults to a file: ostree fails to open it', orig: { d: D({ x: F('x') }) }, local: (e) => writeFileSync(`${e}/d/n`, 'n'), next: { d: F('file') }, expect: /opendir\(d\): Not a directory/ },
  {
    name: 'nothing changed anywhere in a nested tree: exactly the new defaults',
    orig: { a: D({ b: D({ c: F('c') }), s: S('b/c') }), top: F('t') },
    local: none,
    next: { a: D({ b: D({ c: F('c2') }, 0o700), s: S('b/c') }), top: F('t'), added: F('new') },
    expect: { a: 'd 0755 0:0', 'a/b': 'd 0700 0:0', 'a/b/c': 'f 0644 0:0 c2', 'a/s': 'l -> b/c', top: 'f 0644 0:0 t', added: 'f 0644 0:0 new' },
    counts: [0, 0, 0],
  },
  { name: 'etc/.updated of the new defaults is removed', orig: {}, local: none, next: { '.updated': F(''), k: F('k') }, expect: { '.updated': null, k: 'f 0644 0:0 k' } },
];

