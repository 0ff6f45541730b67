import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { S_IFDIR, S_IFLNK, S_IFMT, S_IFREG } from '../../../src/tree/tree.js';
import { CfsError } from '../../../src/errors.js';
import { type CpioEntry, readCpio, writeCpio } from '../../../src/formats/cpio.js';
import {
  CFS_OBJECTS_DIR, EXTENSION_FILES, EXTENSION_MAX_BYTES, type ExtensionInfo, INIT_HOOK, buildExtension,
  extensionFileName, imageSha256, readExtension, writeExtension,
} from '../../../src/sysroot/boot/initramfs.js';
import { PREPARE_ROOT_SCRIPT, PREPARE_ROOT_TAG, PREPARE_ROOT_UNIT } from '../../../src/sysroot/boot/prepare-root.js';
import { needCommand, runPeer } from '../../helpers/peers.js';
import { tempDir } from '../helpers.js';

const enc = (s: string) => new TextEncoder().encode(s);
const dec = (b: Uint8Array) => new TextDecoder().decode(b);
const DEPLOYMENT = `ostree/deploy/os/deploy/${'c'.repeat(64)}.0`;

const SAMPLE_INFO: ExtensionInfo = {
  digest: 'd'.repeat(64),
  image: `${DEPLOYMENT}/.ostree.cfs`,
  sha256: '5'.repeat(64),
  objects: CFS_OBJECTS_DIR,
  deployment: DEPLOYMENT,
  composefs: 'yes',
};

/** Rebuilds an archive from `members`, for hand-made broken extensions. */
function archiveOf(members: Record<string, string>): Uint8Array {
  const entries: CpioEntry[] = Object.entries(members).map(([name, text]) => ({ name: enc(name), mode: S_IFREG | 0o644, data: enc(text) }));
  return writeCpio(entries);
}

function membersOf(info: ExtensionInfo): Record<string, string> {
  const out: Record<string, string> = {};
  for (const m of readCpio(buildExtension(info))) if ((m.mode & S_IFMT) !== S_IFDIR) out[dec(m.name)] = dec(m.data);
  return out;
}

function refusal(f: () => unknown): CfsError {
  try {
    f();
  } catch (e) {
    if (e instanceof CfsError) return e;
    throw e;
  }
  throw new Error('expected a CfsError');
}

describe('sysroot initramfs extension', () => {
  const tmp = tempDir('cfskit-initramfs-');
  after(tmp.remove);

  it('carries the documented members, root-owned, mtime 0, directories first', () => {
    const members = readCpio(buildExtension(SAMPLE_INFO));
    const kind = (mode: number) => ({ [S_IFDIR]: 'd', [S_IFLNK]: 'l' })[mode & S_IFMT] ?? 'f';
    expect(members.map((m) => `${kind(m.mode)} ${(m.mode & 0o7777).toString(8)} ${dec(m.name)}`)).to.deep.equal([
      'd 755 etc', 'd 755 etc/cfskit', 'f 644 etc/cfskit/composefs.conf', 'f 644 etc/cfskit/prepare-root.conf',
      'd 755 usr', 'd 755 usr/lib', 'd 755 usr/lib/cfskit', 'f 755 usr/lib/cfskit/prepare-root', 'f 644 usr/lib/cfskit/init-hook',
      'd 755 usr/lib/systemd', 'd 755 usr/lib/systemd/system', 'f 644 usr/lib/systemd/system/cfskit-prepare-root.service',
      'd 755 usr/lib/systemd/system/initrd-root-fs.target.wants',
      'l 777 usr/lib/systemd/system/initrd-root-fs.target.wants/cfskit-prepare-root.service',
    ]);
    for (const m of members) expect([m.uid, m.gid, m.mtime]).to.deep.equal([0, 0, 0]);
    const files = membersOf(SAMPLE_INFO);
    expect(files[EXTENSION_FILES.config]).to.equal(
      `[composefs]\ndigest=${'d'.repeat(64)}\nimage=${DEPLOYMENT}/.ostree.cfs\nsha256=${'5'.repeat(64)}\n` +
      `objects=ostree/repo/cfs/objects\ndeployment=${DEPLOYMENT}\n`,
    );
    expect(files[EXTENSION_FILES.prepareRootConf]).to.equal('[composefs]\nenabled=yes\n');
    expect(files[EXTENSION_FILES.prepareRoot]).to.equal(PREPARE_ROOT_SCRIPT);
    expect(files[EXTENSION_FILES.hook]).to.equal(INIT_HOOK);
    expect(files[EXTENSION_FILES.unit]).to.equal(PREPARE_ROOT_UNIT);
    expect(PREPARE_ROOT_UNIT).to.match(/^ExecStart=\/usr\/lib\/cfskit\/prepare-root \/sysroot$/m);
    expect(files[EXTENSION_FILES.unitLink]).to.equal('../cfskit-prepare-root.service');
  });

  it('is reproducible and named by its sha256; readExtension gives the info back', () => {
    const a = buildExtension(SAMPLE_INFO);
    expect(Buffer.from(buildExtension({ ...SAMPLE_INFO })).equals(Buffer.from(a))).to.equal(true);
    expect(extensionFileName(a)).to.equal(`${createHash('sha256').update(a).digest('hex')}.img`);
    const back = readExtension(a);
    expect(back).to.deep.include(SAMPLE_INFO);
    expect(back.prepareRootCurrent).to.equal(true);
    const verity = readExtension(buildExtension({ ...SAMPLE_INFO, composefs: 'verity' }));
    expect(verity.composefs).to.equal('verity');
    expect(extensionFileName(buildExtension({ ...SAMPLE_INFO, digest: 'e'.repeat(64) }))).to.not.equal(extensionFileName(a));
  });

  it('Debian cpio -it lists the same members as our reader; -i extracts the script with mode 0755', function () {
    needCommand(this, 'cpio');
    const bytes = buildExtension(SAMPLE_INFO);
    const list = runPeer('cpio', ['-it', '--quiet'], { input: bytes });
    expect(list.status, list.stderr).to.equal(0);
    expect(list.stdout.trim().split('\n')).to.deep.equal(readCpio(bytes).map((m) => dec(m.name)));
    const out = `${tmp.path}/extract`;
    mkdirSync(out);
    const ex = spawnSync('cpio', ['-idm', '--quiet'], { input: bytes, cwd: out });
    expect(ex.status, ex.stderr.toString()).to.equal(0);
    expect(readFileSync(`${out}/${EXTENSION_FILES.prepareRoot}`, 'utf8')).to.equal(PREPARE_ROOT_SCRIPT);
    expect(statSync(`${out}/${EXTENSION_FILES.prepareRoot}`).mode & 0o777).to.equal(0o755);
  });

  it('refuses info prepare-root could not read safely', () => {
    const cases: [Partial<ExtensionInfo>, string][] = [
      [{ digest: 'D'.repeat(64) }, 'digest'],
      [{ digest: 'd'.repeat(63) }, 'digest'],
      [{ sha256: '' }, 'sha256'],
      [{ image: '/abs/.ostree.cfs' }, 'image'],
      [{ image: 'a/../b' }, 'image'],
      [{ objects: 'ostree/repo/cfs/objects/' }, 'objects'],
      [{ deployment: 'ostree/deploy/os/deploy/x y' }, 'deployment'],
      [{ deployment: './x' }, 'deployment'],
      [{ composefs: 'signed' as never }, 'composefs'],
    ];
    for (const [change, field] of cases) {
      const e = refusal(() => buildExtension({ ...SAMPLE_INFO, ...change }));
      expect(e.field, JSON.stringify(change)).to.equal(field);
      expect(e.code).to.equal('EEXTENSION');
    }
  });

  it('readExtension names the missing member, key or bad value', () => {
    const good = membersOf(SAMPLE_INFO);
    const without = (path: string) => Object.fromEntries(Object.entries(good).filter(([k]) => k !== path));
    let e = refusal(() => readExtension(archiveOf(without(EXTENSION_FILES.config)), 'x.img'));
    expect(e.message).to.equal(`x.img: ${EXTENSION_FILES.config}: initramfs extension has no ${EXTENSION_FILES.config}`);
    e = refusal(() => readExtension(archiveOf(without(EXTENSION_FILES.prepareRoot)), 'x.img'));
    expect(e.field).to.equal(EXTENSION_FILES.prepareRoot);
    e = refusal(() => readExtension(archiveOf(without(EXTENSION_FILES.hook)), 'x.img'));
    expect(e.field).to.equal(EXTENSION_FILES.hook);
    const noSha = { ...good, [EXTENSION_FILES.config]: good[EXTENSION_FILES.config].replace(/^sha256=.*\n/m, '') };
    e = refusal(() => readExtension(archiveOf(noSha), 'x.img'));
    expect(e.message).to.equal(`x.img:${EXTENSION_FILES.config}: sha256: no [composefs] sha256`);
    const badMode = { ...good, [EXTENSION_FILES.prepareRootConf]: '[composefs]\nenabled=maybe\n' };
    expect(refusal(() => readExtension(archiveOf(badMode))).field).to.equal('composefs');
    const stale = { ...good, [EXTENSION_FILES.prepareRoot]: '#!/bin/sh\necho old\n' };
    expect(readExtension(archiveOf(stale)).prepareRootCurrent).to.equal(false);
    expect(refusal(() => readExtension(new Uint8Array(EXTENSION_MAX_BYTES + 1))).code).to.equal('EEXTENSION');
    expect(refusal(() => readExtension(enc('not a cpio'))).code).to.equal('ECPIO');
  });

  it('writeExtension stores boot/ostree/initramfs-overlays/<sha256>.img once and returns its initrd line', () => {
    const sysroot = `${tmp.path}/sysroot`;
    mkdirSync(`${sysroot}/boot`, { recursive: true });
    const line = writeExtension(sysroot, SAMPLE_INFO);
    const name = extensionFileName(buildExtension(SAMPLE_INFO));
    expect(line).to.equal(`/ostree/initramfs-overlays/${name}`);
    expect(readdirSync(`${sysroot}/boot/ostree/initramfs-overlays`)).to.deep.equal([name]);
    const file = `${sysroot}/boot${line}`;
    expect(readExtension(readFileSync(file), file)).to.deep.include(SAMPLE_INFO);
    expect(writeExtension(sysroot, SAMPLE_INFO)).to.equal(line);
    expect(readdirSync(`${sysroot}/boot/ostree/initramfs-overlays`)).to.deep.equal([name]);
  });

  it('imageSha256 is the sha256 of the file', () => {
    const f = `${tmp.path}/image.cfs`;
    const data = Buffer.alloc(3 << 20, 0x5a);
    writeFileSync(f, data);
    expect(imageSha256(f)).to.equal(createHash('sha256').update(data).digest('hex'));
  });

  describe('prepare-root script', () => {
    for (const shell of ['dash', 'busybox']) {
      it(`parses under ${shell} sh -n (script and init hook)`, function () {
        needCommand(this, shell);
        const argv = shell === 'busybox' ? ['sh', '-n'] : ['-n'];
        for (const text of [PREPARE_ROOT_SCRIPT, INIT_HOOK]) {
          const r = spawnSync(shell, argv, { input: text });
          expect(r.status, r.stderr.toString()).to.equal(0);
        }
      });
    }

    it('refuses to run unless it is PID 1, before touching anything', function () {
      needCommand(this, 'dash');
      const r = spawnSync('dash', ['-s'], { input: PREPARE_ROOT_SCRIPT });
      expect(r.status).to.equal(1);
      expect(r.stderr.toString()).to.match(new RegExp(`^${PREPARE_ROOT_TAG}: must run as PID 1 .*, not as PID \\d+\\n$`));
      expect(r.stdout.toString()).to.equal('');
    });

    it('refuses other arguments than /sysroot (systemd mode) unless it is PID 1, before touching anything', function () {
      needCommand(this, 'dash');
      const r = spawnSync('dash', ['-s', '/'], { input: PREPARE_ROOT_SCRIPT });
      expect(r.status).to.equal(1);
      expect(r.stderr.toString()).to.match(new RegExp(`^${PREPARE_ROOT_TAG}: must run as PID 1 \\(exec it from the initramfs /init\\) or as prepare-root /sysroot \\(systemd\\), not as PID \\d+\\n$`));
      expect(r.stdout.toString()).to.equal('');
    });

    it('prints every failure through fail() with the cfskit-prepare-root tag, and never boots on its own', () => {
      // Every exit path is fail (one tagged line, then the emergency path), the final exec switch_root,
      // or (systemd mode) the exit 0 once the new root is at /sysroot for initrd-switch-root.
      const lines = PREPARE_ROOT_SCRIPT.split('\n');
      expect(lines.filter((l) => /\bexec switch_root\b/.test(l))).to.have.length(1);
      expect(lines[lines.length - 2]).to.match(/^exec switch_root "\$NEW" \/sbin\/init$/);
      const exit0 = lines.flatMap((l, i) => (/\bexit 0\b/.test(l) ? [i] : []));
      expect(exit0).to.have.length(1);
      expect(lines[exit0[0] - 1]).to.match(/^ {2}err=\$\(mount --move "\$NEW" "\$PHYS" 2>&1\) \|\| fail /);
      expect(PREPARE_ROOT_TAG).to.equal('cfskit-prepare-root');
    });

    it('passes shellcheck as POSIX sh with no finding of any severity', function () {
      needCommand(this, 'shellcheck');
      const r = runPeer('shellcheck', ['--shell=sh', '--severity=style', 'src/sysroot/boot/prepare-root.sh']);
      expect(r.stdout + r.stderr).to.equal('');
      expect(r.status).to.equal(0);
    });
  });
});
