import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { readFileSync, statSync } from 'node:fs';
import { decode, encode, type VarDict } from '../../../src/formats/gvariant.js';
import { PREPARE_ROOT_SCRIPT } from '../../../src/sysroot/boot/prepare-root.js';
import { BACKING_ROOT_KEY, readBootedMarker } from '../../../src/sysroot/booted.js';
import { needCommand } from '../../helpers/peers.js';
import { tempDir } from '../helpers.js';

/** The script's function definitions: everything before its first command (the PID 1 check). */
const FUNCTIONS = PREPARE_ROOT_SCRIPT.slice(0, PREPARE_ROOT_SCRIPT.indexOf('if [ "$$" != 1 ]'));

/** What ostree's prepare-root writes for a composefs root, built with cfskit's GVariant encoder. */
function expected(dev: bigint, ino: bigint, verity: boolean): Uint8Array {
  const b = (value: boolean) => ({ type: 'b', value });
  const dict: VarDict = [
    [BACKING_ROOT_KEY, { type: '(tt)', value: [dev, ino] }],
    ['root.transient', b(false)],
    ['root.transient-ro', b(false)],
    ['composefs', b(true)],
    ['composefs.verity', b(verity)],
    ['sysroot-ro', b(false)],
  ];
  return encode('a{sv}', dict, 'le');
}

describe('prepare-root: /run/ostree-booted (the a{sv} ostree reads)', () => {
  const tmp = tempDir('cfskit-booted-marker-');
  after(tmp.remove);

  const cases: [string, bigint, bigint, boolean][] = [
    ['an ext4 root', 2049n, 131073n, false],
    ['an overlay root with verity and wide numbers', 0x1_2345_6789n, 0x7fff_ffff_ffff_fff0n, true],
  ];
  for (const shell of ['dash', 'busybox']) {
    for (const [what, dev, ino, verity] of cases) {
      it(`${shell} sh: ${what} gives the bytes GLib serialises, which the booted-system reader decodes`, function () {
        needCommand(this, shell);
        const out = `${tmp.path}/${shell}-${dev}`;
        const script = `${FUNCTIONS}\nwrite_booted "$1" ${dev} ${ino} ${verity ? 1 : 0}\n`;
        const argv = shell === 'busybox' ? ['sh', '-s', out] : ['-s', out];
        const r = spawnSync(shell, argv, { input: script });
        expect(r.status, r.stderr.toString()).to.equal(0);
        expect(new Uint8Array(readFileSync(out))).to.deep.equal(expected(dev, ino, verity));
        expect(statSync(out).mode & 0o777).to.equal(0o644);
        const dict = readBootedMarker(out);
        expect(dict[0]).to.deep.equal([BACKING_ROOT_KEY, { type: '(tt)', value: [dev, ino] }]);
        expect(decode('a{sv}', readFileSync(out), 'le')).to.deep.equal(dict);
      });
    }
  }
});
