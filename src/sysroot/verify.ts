/**
 * `cfskit admin verify`: offline, the boot chain a prepare-root walks (spec ostree.md §3.5–§3.7,
 * ostree.md §5.4, §6), for every entry of the current boot configuration (or one):
 *
 *   BLS entry (parses; `linux`/`initrd` files exist) → `ostree=` bootlink (a symlink through the
 *   live `ostree/boot.B`) → deployment dir → `.ostree.cfs` and `composefs/<digest>.cfs` → their
 *   fs-verity digest = `composefs=` karg = the stub commit's `ostree.composefs.digest.v0` → every
 *   backing object the image names is in `ostree/repo/cfs/objects` with that digest → `etc/` and
 *   the stateroot's `var/` exist → the initramfs extension (2nd `initrd`) names this image,
 *   digest, deployment and objects dir, carries the current prepare-root, and is named by its sha256.
 *
 * Every broken link is reported (the walk continues where it can); nothing is written.
 */
import { realpathSync, type Stats } from 'node:fs';
import { basename, dirname } from 'node:path';
import type { CfsError } from '../errors.js';
import { readImage } from '../composefs/erofs/reader.js';
import { S_IFMT, S_IFREG, type Node } from '../tree/tree.js';
import { backingObject } from '../cfs/backing-path.js';
import { checkObject } from '../cfs/object-file.js';
import { digestBytes, digestFile } from '../fsverity/index.js';
import { readCommit } from '../ostree/commit.js';
import { openRepo, type Repo } from '../ostree/repo.js';
import { BootEntry, compareEntries, isEntryFileName } from '../formats/bls.js';
import { COMPOSEFS_KARG, DEPLOY_IMAGE, cfsImagePaths, commitImageDigest, isDigestHex } from './cfs-image.js';
import { ostreeArg, readBootversion } from './deployments.js';
import { type Fs, nodeFs } from '../io/fs.js';
import { type BootedEnv, HOST_ENV, isBootedSysroot } from './booted.js';
import { CFS_OBJECTS_DIR, extensionFileName, imageSha256, readExtension } from './boot/initramfs.js';
import { kargKey, parseKargs } from '../formats/kargs.js';
import { parseDeployName, parseOstreeKarg, paths } from './layout.js';

export interface VerifyProblem {
  /** The entry file (relative to the sysroot), or '' for the sysroot as a whole. */
  entry: string;
  /** The link of the chain that is broken. */
  link: string;
  reason: string;
}

export interface VerifyOptions {
  /** Only the entry at this index (boot order, 0 = default). */
  entry?: number;
  fs?: Fs;
  /** Check backing objects by presence and size only, not by fs-verity digest. */
  quickObjects?: boolean;
  /** Where the running system is seen from (booted.ts; default the host's). */
  env?: BootedEnv;
}

export interface VerifyReport {
  /** Entries checked, sysroot-relative. */
  entries: string[];
  problems: VerifyProblem[];
}

const HEX_IMG = /^([0-9a-f]{64})\.img$/;

export async function verify(sysroot: string, o: VerifyOptions = {}): Promise<VerifyReport> {
  const f = o.fs ?? nodeFs;
  const problems: VerifyProblem[] = [];
  const rel = (p: string) => (p.startsWith(`${sysroot}/`) ? p.slice(sysroot.length + 1) : p);
  let bootversion: number;
  try {
    bootversion = readBootversion(sysroot, f);
  } catch (e) {
    return { entries: [], problems: [{ entry: '', link: 'boot/loader', reason: (e as Error).message }] };
  }
  const entriesDir = paths.entries(sysroot, bootversion);
  const parsed: { file: string; entry?: BootEntry; error?: string }[] = [];
  const names = f.stat(entriesDir)?.isDirectory() ? f.readdir(entriesDir).map((b) => b.toString('latin1')).filter(isEntryFileName).sort() : [];
  for (const name of names) {
    const file = `${entriesDir}/${name}`;
    try {
      parsed.push({ file, entry: BootEntry.parse(f.readFile(file), rel(file)) });
    } catch (e) {
      parsed.push({ file, error: (e as Error).message });
    }
  }
  parsed.sort((a, b) => (a.entry && b.entry ? compareEntries(a.entry, b.entry) : a.entry ? -1 : b.entry ? 1 : 0));
  const selected = o.entry === undefined ? parsed : parsed.slice(o.entry, o.entry + 1);
  if (o.entry !== undefined && selected.length === 0) {
    problems.push({ entry: '', link: 'entry', reason: `no entry at index ${o.entry} (there are ${parsed.length})` });
  }
  const env = o.env ?? HOST_ENV;
  const running = isBootedSysroot(sysroot, env, f) ? f.stat(env.root) : undefined;
  const ctx = new Walk(sysroot, bootversion, f, o.quickObjects ?? false, problems, running);
  for (const p of selected) {
    const entry = rel(p.file);
    if (!p.entry) problems.push({ entry, link: 'BLS entry', reason: p.error! });
    else await ctx.entry(entry, p.entry);
  }
  return { entries: selected.map((p) => rel(p.file)), problems };
}

class Walk {
  private readonly repo?: Repo;
  /** Objects already checked: hex → '' when good, else the reason. */
  private readonly objects = new Map<string, string>();

  constructor(
    private readonly sysroot: string,
    private readonly bootversion: number,
    private readonly f: Fs,
    private readonly quick: boolean,
    private readonly problems: VerifyProblem[],
    /** stat of the running root when the sysroot is booted. */
    private readonly running?: Stats,
  ) {
    try {
      this.repo = openRepo(paths.repo(sysroot));
    } catch {
      this.repo = undefined;
    }
  }

  async entry(name: string, e: BootEntry): Promise<void> {
    const bad = (link: string, reason: string) => {
      this.problems.push({ entry: name, link, reason });
    };
    const boot = `${this.sysroot}/boot`;
    if (e.linux === undefined) bad('linux', 'no linux line');
    else if (!this.f.stat(`${boot}${e.linux}`)?.isFile()) bad('linux', `${e.linux} is missing under /boot`);
    if (e.initrds.length < 2) bad('initrd', 'no initramfs extension (second initrd line)');
    for (const p of e.initrds) if (!this.f.stat(`${boot}${p}`)?.isFile()) bad('initrd', `${p} is missing under /boot`);

    // ostree= → bootlink → deployment (ostree.md §3.6)
    const arg = ostreeArg(e);
    const link = arg === undefined ? undefined : parseOstreeKarg(arg);
    if (!arg || !link) return bad('ostree=', arg ? `invalid ostree= argument '${arg}'` : 'no ostree= kernel argument');
    if (link.bootversion !== this.bootversion) bad('ostree=', `names bootversion ${link.bootversion}, the live one is ${this.bootversion}`);
    const linkPath = `${this.sysroot}${arg}`;
    if (!this.f.lstat(linkPath)?.isSymbolicLink()) return bad('bootlink', `${arg} is not a symbolic link`);
    let deployDir: string;
    try {
      deployDir = realpathSync(linkPath);
    } catch {
      return bad('bootlink', `${arg} is dangling`);
    }
    let expectedParent = '';
    try {
      expectedParent = realpathSync(paths.deployDir(this.sysroot, link.stateroot));
    } catch {
      /* no such stateroot: reported below */
    }
    // realpath gives the host's separators (`\` on win32)
    const base = basename(deployDir);
    const dname = parseDeployName(base);
    if (!dname || dirname(deployDir) !== expectedParent) {
      return bad('bootlink', `${arg} leads to ${deployDir}, not a deployment of stateroot ${link.stateroot}`);
    }
    if (!this.f.stat(deployDir)?.isDirectory()) return bad('deployment', `${deployDir} is not a directory`);

    // composefs= karg, the stub commit
    const kargs = parseKargs(e.options ?? '');
    const cfsArgs = kargs.filter((a) => kargKey(a) === COMPOSEFS_KARG);
    const karg = cfsArgs.length === 1 ? cfsArgs[0].slice(COMPOSEFS_KARG.length + 1) : undefined;
    if (karg === undefined || !isDigestHex(karg)) bad('composefs=', cfsArgs.length === 0 ? 'no composefs= kernel argument' : `invalid composefs= argument(s) ${cfsArgs.join(' ')}`);
    let commitDigest: string | undefined;
    try {
      if (!this.repo) throw new Error('no ostree/repo');
      commitDigest = commitImageDigest(readCommit(this.repo, dname.csum).commit);
      if (!commitDigest) bad('stub commit', `commit ${dname.csum} has no ostree.composefs.digest.v0`);
    } catch (err) {
      bad('stub commit', `cannot load commit ${dname.csum}: ${(err as Error).message}`);
    }
    if (karg && commitDigest && karg !== commitDigest) bad('composefs=', `karg ${karg} differs from the commit's ostree.composefs.digest.v0 ${commitDigest}`);
    const digest = commitDigest ?? karg;

    // the images; the running deployment's directory is under prepare-root's bind of the root, so
    // its image is read as the stateroot's copy (deploy links one file to both names)
    const dirStat = this.f.stat(deployDir);
    const isRunning = this.running !== undefined && dirStat?.dev === this.running.dev && dirStat.ino === this.running.ino;
    const image = isRunning && digest ? cfsImagePaths.stateroot(this.sysroot, link.stateroot, digest) : `${deployDir}/${DEPLOY_IMAGE}`;
    let bytes: Uint8Array | undefined;
    if (!this.f.stat(image)?.isFile()) bad('image', `${DEPLOY_IMAGE} is missing in ${base}`);
    else {
      bytes = this.f.readFile(image);
      const actual = digestBytes(bytes).hex;
      if (karg && actual !== karg) bad('image', `${DEPLOY_IMAGE} has fs-verity digest ${actual}, composefs= says ${karg}`);
      else if (commitDigest && actual !== commitDigest) bad('image', `${DEPLOY_IMAGE} has fs-verity digest ${actual}, the commit says ${commitDigest}`);
    }
    if (digest) {
      const copy = cfsImagePaths.stateroot(this.sysroot, link.stateroot, digest);
      const st = this.f.stat(copy);
      const mine = this.f.stat(image);
      if (!st?.isFile()) bad('image', `ostree/deploy/${link.stateroot}/composefs/${digest}.cfs is missing`);
      else if (!(mine && st.ino === mine.ino && st.dev === mine.dev) && (await digestFile(copy)).hex !== digest) {
        bad('image', `ostree/deploy/${link.stateroot}/composefs/${digest}.cfs does not have digest ${digest}`);
      }
    }

    // the backing objects
    if (bytes) {
      let root: Node | undefined;
      try {
        root = readImage(bytes, { file: image });
      } catch (err) {
        bad('image', `unreadable: ${(err as CfsError).message}`);
      }
      if (root) this.checkObjects(root, image, bad);
    }

    // etc/ and var/
    if (!this.f.stat(`${deployDir}/etc`)?.isDirectory()) bad('etc', `${base}/etc is missing`);
    if (!this.f.stat(paths.var(this.sysroot, link.stateroot))?.isDirectory()) bad('var', `ostree/deploy/${link.stateroot}/var is missing`);

    // the initramfs extension
    if (e.initrds.length >= 2) this.checkExtension(e.initrds[1], { digest, image, deployDir, stateroot: link.stateroot, base }, bad);
  }

  /** Backing paths by backing-path.ts, objects opened by object-file.ts (no symlinks), sized and hashed. */
  private checkObjects(root: Node, file: string, bad: (link: string, reason: string) => void): void {
    const objects = cfsImagePaths.objects(this.sysroot);
    const stack: Node[] = [root];
    while (stack.length > 0) {
      const n = stack.pop()!;
      if (n.children) stack.push(...n.children);
      if (n.linkTo || (n.mode & S_IFMT) !== S_IFREG || n.content || !n.payload) continue;
      const at = Buffer.from(n.path()).toString();
      let hex: string;
      try {
        hex = backingObject(n.payload, n.digest, { file, path: n.path() });
      } catch (err) {
        bad('object', (err as CfsError).message);
        continue;
      }
      const known = this.objects.get(hex);
      if (known === undefined) {
        try {
          checkObject(objects, hex, { size: n.size, digest: !this.quick });
          this.objects.set(hex, '');
        } catch (err) {
          this.objects.set(hex, (err as CfsError).reason);
        }
      }
      const reason = this.objects.get(hex);
      if (reason) bad('object', `${at}: ${reason} in ${CFS_OBJECTS_DIR}`);
    }
  }

  private checkExtension(
    initrd: string,
    want: { digest?: string; image: string; deployDir: string; stateroot: string; base: string },
    bad: (link: string, reason: string) => void,
  ): void {
    const path = `${this.sysroot}/boot${initrd}`;
    if (!this.f.stat(path)?.isFile()) return; // reported with the initrd lines
    const bytes = this.f.readFile(path);
    const name = initrd.slice(initrd.lastIndexOf('/') + 1);
    if (!HEX_IMG.test(name) || extensionFileName(bytes) !== name) bad('extension', `${initrd} is not named by its sha256`);
    let ext;
    try {
      ext = readExtension(bytes, initrd);
    } catch (err) {
      return bad('extension', (err as Error).message);
    }
    const deployment = `ostree/deploy/${want.stateroot}/deploy/${want.base}`;
    if (want.digest && ext.digest !== want.digest) bad('extension', `names digest ${ext.digest}, the deployment's image is ${want.digest}`);
    if (ext.deployment !== deployment) bad('extension', `names deployment ${ext.deployment}, the bootlink leads to ${deployment}`);
    if (ext.image !== `${deployment}/${DEPLOY_IMAGE}`) bad('extension', `names image ${ext.image}, expected ${deployment}/${DEPLOY_IMAGE}`);
    if (ext.objects !== CFS_OBJECTS_DIR) bad('extension', `names objects dir ${ext.objects}, expected ${CFS_OBJECTS_DIR}`);
    if (!ext.prepareRootCurrent) bad('extension', 'carries an outdated prepare-root');
    if (this.f.stat(want.image)?.isFile() && imageSha256(want.image) !== ext.sha256) bad('extension', `sha256 ${ext.sha256} does not match ${DEPLOY_IMAGE}`);
  }
}
