import { expect } from 'chai';
import { BootEntry, compareEntries, entryFileName, isEntryFileName, strverscmp } from '../../src/formats/bls.js';

const REAL = `title TestOS 42 1.0.10 (ostree:0)
version 2
options root=LABEL=rootfs quiet ostree=/ostree/boot.0/testos/7bd091ad6955c0e7ef41bab65adb016275664b55efc0d10a0c8cb263da3c1e4e/0
linux /ostree/testos-7bd091ad6955c0e7ef41bab65adb016275664b55efc0d10a0c8cb263da3c1e4e/vmlinuz-3.6.0
initrd /ostree/testos-7bd091ad6955c0e7ef41bab65adb016275664b55efc0d10a0c8cb263da3c1e4e/initramfs-3.6.0.img
`;

describe('sysroot BLS entries', () => {
  it('round-trips the real 2022.7 entry (ostree.md §3.5) byte for byte', () => {
    const e = BootEntry.parse(REAL);
    expect(e.title).to.equal('TestOS 42 1.0.10 (ostree:0)');
    expect(e.version).to.equal('2');
    expect(e.initrds).to.have.length(1);
    expect(e.toString()).to.equal(REAL);
  });

  it('parses like ostree-bootconfig-parser: first space or tab splits, non-letter lines ignored, last key wins', () => {
    const e = BootEntry.parse('# comment\n title no\ntitle\tA  B\nversion 1\nversion 3\n1x y\nlinux /k\ninitrd /a\ninitrd /b\ninitrd /c\nbare\nfoo bar baz\n');
    expect(e.title).to.equal('A  B');
    expect(e.version).to.equal('3');
    expect(e.initrds).to.deep.equal(['/a', '/b', '/c']);
    expect(e.get('foo')).to.equal('bar baz');
    expect(e.get('bare')).to.equal(undefined);
    // ostree's write order: title, version, options, devicetree, linux, initrds, then the rest
    expect(e.toString()).to.equal('title A  B\nversion 3\nlinux /k\ninitrd /a\ninitrd /b\ninitrd /c\nfoo bar baz\n');
  });

  it('writes ostree key order for a built entry', () => {
    const e = new BootEntry();
    e.set('aboot', '/x');
    e.set('linux', '/vmlinuz');
    e.set('devicetree', '/dt');
    e.set('options', 'a=b');
    e.set('version', '1');
    e.set('title', 'T');
    e.initrds = ['/i', '/ostree/initramfs-overlays/x.img'];
    expect(e.toString()).to.equal('title T\nversion 1\noptions a=b\ndevicetree /dt\nlinux /vmlinuz\ninitrd /i\ninitrd /ostree/initramfs-overlays/x.img\naboot /x\n');
    expect(() => e.set('initrd', 'x')).to.throw(/invalid BLS key/);
    expect(() => e.set('title', 'a\nb')).to.throw(/line break/);
  });

  it('refuses oversized, non-UTF-8 and NUL-containing files with the file name', () => {
    expect(() => BootEntry.parse(new Uint8Array(70000), 'e.conf')).to.throw(/^e\.conf: BLS entry larger/);
    expect(() => BootEntry.parse(Uint8Array.of(0x74, 0xff), 'e.conf')).to.throw(/not valid UTF-8/);
    expect(() => BootEntry.parse('title a\0b\n', 'e.conf')).to.throw(/NUL/);
  });

  it('names entries ostree-<n-i>-<stateroot>.conf and accepts both namings when reading', () => {
    expect(entryFileName(3, 0, 'os')).to.equal('ostree-3-os.conf');
    expect(entryFileName(3, 2, 'os')).to.equal('ostree-1-os.conf');
    expect(isEntryFileName('ostree-1-os.conf')).to.equal(true);
    expect(isEntryFileName('ostree-1.conf')).to.equal(true);
    expect(isEntryFileName('other.conf')).to.equal(false);
    expect(isEntryFileName('ostree-1-os.conf.tmp')).to.equal(false);
  });

  it('strverscmp matches glibc (documented examples) and sorts entries by version descending', () => {
    // glibc manual: "000" < "00" < "01" < "010" < "09" < "0" < "1" < "9" < "10"
    const order = ['000', '00', '01', '010', '09', '0', '1', '9', '10'];
    for (let i = 0; i + 1 < order.length; i++) {
      expect(strverscmp(order[i], order[i + 1]), `${order[i]} < ${order[i + 1]}`).to.be.lessThan(0);
      expect(strverscmp(order[i + 1], order[i])).to.be.greaterThan(0);
    }
    expect(strverscmp('a10', 'a9')).to.be.greaterThan(0);
    expect(strverscmp('1.10', '1.9')).to.be.greaterThan(0);
    expect(strverscmp('same', 'same')).to.equal(0);
    const mk = (v?: string) => BootEntry.parse(v === undefined ? 'title x\n' : `version ${v}\n`);
    const sorted = [mk('2'), mk(), mk('10'), mk('9')].sort(compareEntries).map((e) => e.version);
    expect(sorted).to.deep.equal(['10', '9', '2', undefined]);
  });
});
