import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { Node, S_IFDIR, S_IFREG } from '../../src/tree/tree.js';
import { bootFileNames, bootcsumInputs, computeBootcsum, findKernel } from '../../src/formats/bootcsum.js';
import { needCommand } from '../helpers/peers.js';
import { tempDir } from '../sysroot/helpers.js';

const enc = (s: string) => new TextEncoder().encode(s);

/** A tree from {path: content}; directories implied. */
function tree(files: Record<string, string>): Node {
  const root = new Node(new Uint8Array(0), S_IFDIR | 0o755);
  for (const [path, content] of Object.entries(files)) {
    const parts = path.split('/');
    let dir = root;
    for (const part of parts.slice(0, -1)) {
      let next = dir.lookup(enc(part));
      if (!next) dir.addChild((next = new Node(enc(part), S_IFDIR | 0o755)));
      dir = next;
    }
    const f = new Node(enc(parts[parts.length - 1]), S_IFREG | 0o644);
    f.content = enc(content);
    f.size = BigInt(f.content.length);
    dir.addChild(f);
  }
  return root;
}

const bytesOf = (n: Node) => n.content!;

describe('sysroot kernel discovery and bootcsum (ostree.md §3.4)', () => {
  const tmp = tempDir();
  after(tmp.remove);

  it('the verified example: vmlinuz + initramfs.img', () => {
    const k = findKernel(tree({ 'usr/lib/modules/3.6.0/vmlinuz': 'a kernel\n', 'usr/lib/modules/3.6.0/initramfs.img': 'an initramfs\n' }))!;
    expect(k.kver).to.equal('3.6.0');
    expect(computeBootcsum(bootcsumInputs(k).map(bytesOf))).to.equal('7bd091ad6955c0e7ef41bab65adb016275664b55efc0d10a0c8cb263da3c1e4e');
    expect(bootFileNames('3.6.0')).to.include({ vmlinuz: 'vmlinuz-3.6.0', initramfs: 'initramfs-3.6.0.img' });
  });

  it('falls back to `initramfs`, hashes dtb/ files depth first in strcmp order, ignores hmac', () => {
    const k = findKernel(tree({
      'usr/lib/modules/6.1/vmlinuz': 'K', 'usr/lib/modules/6.1/initramfs': 'I', 'usr/lib/modules/6.1/.vmlinuz.hmac': 'H',
      'usr/lib/modules/6.1/dtb/b.dtb': 'B', 'usr/lib/modules/6.1/dtb/a/z.dtb': 'Z', 'usr/lib/modules/6.1/dtb/a/c.dtb': 'C',
    }))!;
    expect(bootcsumInputs(k).map((n) => new TextDecoder().decode(n.content!))).to.deep.equal(['K', 'I', 'C', 'Z', 'B']);
    expect(k.hmac).to.not.equal(undefined);
    expect(findKernel(tree({ 'usr/lib/modules/6.1/notakernel': 'x' }))).to.equal(undefined);
    expect(findKernel(tree({ 'usr/bin/x': 'x' }))).to.equal(undefined);
  });

  it('streams file paths and chunk iterators to the same digest', () => {
    writeFileSync(`${tmp.path}/k`, Buffer.alloc(3 << 20, 7));
    const chunks = function* () {
      for (let i = 0; i < 3; i++) yield Buffer.alloc(1 << 20, 7);
    };
    expect(computeBootcsum([`${tmp.path}/k`, enc('x')])).to.equal(computeBootcsum([chunks(), enc('x')]));
  });

  it('equals the bootcsum real `ostree admin deploy` names boot/ostree/<os>-<bootcsum> with (devicetree)', function () {
    needCommand(this, 'ostree');
    const files = {
      'usr/lib/modules/5.10.0/vmlinuz': 'kernel bytes\n',
      'usr/lib/modules/5.10.0/initramfs.img': 'initramfs bytes\n',
      'usr/lib/modules/5.10.0/devicetree': 'dtb bytes\n',
      'usr/lib/os-release': 'ID=testos\n',
    };
    const root = `${tmp.path}/tree`;
    for (const [p, c] of Object.entries(files)) {
      mkdirSync(`${root}/${p.slice(0, p.lastIndexOf('/'))}`, { recursive: true });
      writeFileSync(`${root}/${p}`, c);
    }
    const sys = `${tmp.path}/sys`;
    mkdirSync(sys);
    const env = { ...process.env, OSTREE_SYSROOT_DEBUG: 'mutable-deployments' };
    const run = (args: string[]) => {
      const r = spawnSync('ostree', args, { env, encoding: 'utf8' });
      expect(r.status, r.stderr).to.equal(0);
    };
    run(['admin', 'init-fs', sys]);
    run(['admin', 'os-init', 'testos', `--sysroot=${sys}`]);
    run(['commit', `--repo=${sys}/ostree/repo`, '-b', 'k', `--tree=dir=${root}`]);
    run(['admin', 'deploy', `--sysroot=${sys}`, '--os=testos', 'k']);
    const k = findKernel(tree(files))!;
    const ours = computeBootcsum(bootcsumInputs(k).map(bytesOf));
    expect(readdirSync(`${sys}/boot/ostree`)).to.deep.equal([`testos-${ours}`]);
    expect(readdirSync(`${sys}/boot/ostree/testos-${ours}`).sort()).to.deep.equal(
      [bootFileNames('5.10.0').devicetree, bootFileNames('5.10.0').initramfs, bootFileNames('5.10.0').vmlinuz].sort(),
    );
  });
});
