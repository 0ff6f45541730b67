/**
 * Fixtures of the pull tests: the CLI, a published cfskit repo (an OS tree with N extra files
 * committed by `cfskit commit`), ed25519 key pairs in ostree's base64 forms.
 */
import { generateKeyPairSync } from 'node:crypto';
import { expect } from 'chai';
import { join } from 'node:path';
import { readImage } from '../../src/composefs/erofs/reader.js';
import type { Node } from '../../src/tree/tree.js';
import { readFileSync } from 'node:fs';
import { osFiles, writeTree, type OsFiles } from '../sysroot/deploy/fixture.js';
import { cfskit, cfskitAsync } from '../helpers/cli.js';

export const cli = (...args: string[]) => {
  const r = cfskit(args);
  return { ...r, ok: () => { expect(r.status, r.stderr).to.equal(0); return r; } };
};

/** The CLI without blocking this process's event loop (for servers running in the test process). */
export const cliAsync = (...args: string[]) => cfskitAsync(args);

/** `count` small files with distinct content; `changed` of them differ per version. */
export function osVersion(version: string, count: number, changed: number[] = [], extra: OsFiles = {}): OsFiles {
  const files: OsFiles = {};
  for (let i = 0; i < count; i++) files[`usr/share/data/f${i}`] = `${changed.includes(i) ? version : 'base'} file ${i} ${'x'.repeat(100 + i)}\n`;
  return osFiles(version, { ...files, ...extra });
}

/** Commits a tree into a published repo (`cfskit commit`); returns the commit checksum. */
export function publish(repo: string, work: string, version: string, files: OsFiles, ...flags: string[]): string {
  const tree = join(work, `tree-${version}`);
  writeTree(tree, files);
  return cli('commit', `--repo=${repo}`, '-b', 'os/main', `--version=${version}`, '--timestamp=1700000000', ...flags, tree).ok().stdout.trim();
}

/** An ed25519 key pair: secret = base64(seed ‖ public), public = base64(32 bytes). */
export function keyPair(): { secret: string; public: string } {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const seed = privateKey.export({ format: 'der', type: 'pkcs8' }).subarray(-32);
  const pub = publicKey.export({ format: 'der', type: 'spki' }).subarray(-32);
  return { secret: Buffer.concat([seed, pub]).toString('base64'), public: pub.toString('base64') };
}

/** Backing object digests (hex) of an image file. */
export function imageObjects(path: string): Set<string> {
  const out = new Set<string>();
  const stack: Node[] = [readImage(readFileSync(path))];
  while (stack.length) {
    const n = stack.pop()!;
    if (n.children) stack.push(...n.children);
    if (n.digest) out.add(Buffer.from(n.digest).toString('hex'));
  }
  return out;
}
