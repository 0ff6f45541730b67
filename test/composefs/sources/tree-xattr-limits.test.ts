/**
 * Issue #15 item 6: xattrs beyond the EROFS/composefs limits (a 70,000-byte value, a 300-byte key,
 * a node over the 32767-byte budget) are refused by the tar source (naming the archive, the entry's
 * offset and the xattr) and by the tree path for any caller's tree, with the dumpfile parser's
 * reason; `cfskit mkcomposefs --from-tar` exits 1 and leaves no image.
 */
import { expect } from 'chai';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseDump } from '../../../src/composefs/dumpfile/parse.js';
import { printDump } from '../../../src/composefs/dumpfile/print.js';
import { loadTarLayers } from '../../../src/composefs/sources/tar.js';
import { Node } from '../../../src/tree/tree.js';
import { CfsError, PLACE_PRINT_MAX, printable } from '../../../src/errors.js';
import { writeWasmImage } from '../../../src/wasm/composefs.js';
import { member, pax, tarOf } from './rawtar.js';
import { cfskit } from '../../helpers/cli.js';

const REPO = fileURLToPath(new URL('../../..', import.meta.url));
const BUILD = { minVersion: 0, maxVersion: 1, useEpoch: false };
const enc = new TextEncoder();

function refusal(fn: () => unknown): CfsError {
  try {
    fn();
  } catch (err) {
    expect(err).to.be.instanceOf(CfsError);
    return err as CfsError;
  }
  throw new Error('expected a refusal');
}

/** A root with one file carrying `xattrs`. */
function treeWith(xattrs: [string, Uint8Array][]): Node {
  const root = new Node(new Uint8Array(0), 0o40755);
  const f = new Node(enc.encode('f'), 0o100644);
  for (const [k, v] of xattrs) f.setXattr(enc.encode(k), v);
  root.addChild(f);
  return root;
}

const CASES: [string, [string, Uint8Array][], string][] = [
  ['a 70,000-byte value', [['user.big', new Uint8Array(70_000).fill(0x61)]], 'user.big'],
  ['a 300-byte key', [[`user.${'k'.repeat(294)}`, enc.encode('v')]], `user.${'k'.repeat(294)}`],
  ['a node over the 32767-byte budget', [['user.a', new Uint8Array(20_000).fill(0x61)], ['user.b', new Uint8Array(20_000).fill(0x62)]], 'user.b'],
];

describe('sources: xattrs beyond the image limits (issue #15 item 6)', function () {
  this.timeout(60_000);
  let work: string;
  before(() => {
    work = mkdtempSync(join(tmpdir(), 'cfskit-xattr-limits-'));
  });
  after(() => rmSync(work, { recursive: true, force: true }));

  for (const [name, xattrs, key] of CASES) {
    it(`${name}: the tree path refuses it with the dumpfile parser's reason`, () => {
      const e = refusal(() => writeWasmImage(treeWith(xattrs), BUILD));
      expect(e.reason).to.equal("Can't set xattr");
      expect(e.field).to.equal(`/f: xattr ${key}`);
      expect(e.code).to.equal('ETREE');
      // the dumpfile of the same tree is refused too
      refusal(() => parseDump(printDump(treeWith(xattrs))));
    });

    it(`${name}: a tar entry carrying it is refused naming the archive, the offset and the xattr`, async () => {
      const file = join(work, 'x.tar');
      const records = pax(xattrs.map(([k, v]) => [`SCHILY.xattr.${k}`, Buffer.from(v)]));
      writeFileSync(file, tarOf(member({ name: 'ok' }), records, member({ name: 'f' })));
      const e = await loadTarLayers([file]).then(() => null, (err: unknown) => err);
      expect(e).to.be.instanceOf(CfsError);
      // the field is printed as every error line prints one: escaped and cut at PLACE_PRINT_MAX
      expect((e as CfsError).message).to.equal(`${file}:offset ${512 + records.length}: ${printable(`f: xattr ${key}`, PLACE_PRINT_MAX)}: Can't set xattr`);
    });
  }

  it('the tree path also refuses long names, long symlink targets and oversized inline content', () => {
    const root = (child: Node) => {
      const r = new Node(new Uint8Array(0), 0o40755);
      r.addChild(child);
      return r;
    };
    expect(refusal(() => writeWasmImage(root(new Node(new Uint8Array(256).fill(0x6e), 0o100644)), BUILD)).reason).to.equal("Can't add child");
    const link = new Node(enc.encode('l'), 0o120777);
    link.payload = new Uint8Array(4096).fill(0x74);
    link.size = 4096n;
    expect(refusal(() => writeWasmImage(root(link), BUILD)).reason).to.equal('Invalid symlink');
    const big = new Node(enc.encode('c'), 0o100644);
    big.content = new Uint8Array(5001);
    big.size = 5001n;
    expect(refusal(() => writeWasmImage(root(big), BUILD)).reason).to.equal('Inline content size 5001 exceeds maximum 5000');
  });

  it('cfskit mkcomposefs --from-tar exits 1 with one line and leaves no image', () => {
    const file = join(work, 'big.tar');
    writeFileSync(file, tarOf(pax([['SCHILY.xattr.user.big', Buffer.alloc(70_000, 0x61)]]), member({ name: 'f' })));
    const out = join(work, 'big.cfs');
    const r = cfskit(['mkcomposefs', '--from-tar', file, out], { cwd: REPO });
    expect(r.status).to.equal(1);
    expect(r.stderr.toString().trim().split('\n')).to.have.length(1);
    expect(r.stderr.toString()).to.contain("f: xattr user.big: Can't set xattr");
    expect(existsSync(out)).to.equal(false);
  });
});
