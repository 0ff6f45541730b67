/**
 * `cfskit admin deploy`: a composefs image, named by a stub commit, becomes a deployment of a
 * stateroot (spec ostree.md §3.3–§3.9, §4, §6; docs/FORMAT.md "Composefs deployments"). In order:
 *
 *  1. resolve REF|COMMIT|IMAGE to a stub commit and its `ostree.composefs.digest.v0` (an image no
 *     commit names gets one on no branch), check the stored image
 *     `ostree/repo/cfs/images/<digest>` against that digest, every backing path it names
 *     (src/cfs/backing-path.ts) and that each named object is in the store; an object deploy
 *     copies or links (/etc defaults, kernel, initramfs, os-release) is hashed before use;
 *  2. `ostree/deploy/S/composefs/<digest>.cfs` (temp + rename), then the new deployment directory
 *     `<stub>.<serial>/` with `.ostree.cfs` (hardlinks, else copies), `etc/` (the 3-way merge,
 *     etc-merge.ts), the kernel-discovery files upstream ostree writes need (ostree.md §3.10) and the
 *     `.origin` next to it — all garbage until a bootlink names the directory;
 *  3. the initramfs extension in `boot/ostree/initramfs-overlays/`;
 *  4. the new list and the atomic boot swap (swap.ts), which also installs kernel + initramfs into
 *     `boot/ostree/S-<bootcsum>/`. Its rename of `boot/loader.tmp` is the only commit point.
 *
 * Every write goes through the Fs seam.
 */
import { realpathSync } from 'node:fs';
import { CfsError } from '../errors.js';
import { backingObject } from '../cfs/backing-path.js';
import { checkObject } from '../cfs/object-file.js';
import { backingObjects } from '../cfs/reach.js';
import { readImage } from '../composefs/erofs/reader.js';
import { Node, S_IFDIR, S_IFMT, S_IFREG } from '../tree/tree.js';
import { digestBytes } from '../fsverity/index.js';
import { commitImage } from '../cfs/commit-image.js';
import { readCommit } from '../ostree/commit.js';
import { decodeCommit, type Commit } from '../ostree/formats.js';
import { listObjects, readMetadata } from '../ostree/objects.js';
import { isValidRefName } from '../ostree/refs.js';
import { openRepo, type Repo } from '../ostree/repo.js';
import { BootEntry } from '../formats/bls.js';
import { type KernelLayout, bootFileNames, bootcsumInputs, computeBootcsum, findKernel } from '../formats/bootcsum.js';
import {
  COMPOSEFS_KARG, DEPLOY_IMAGE, cfsImagePaths, commitImageDigest, commitString, isDigestHex, lookupPath, readImageFile,
} from './cfs-image.js';
import {
  type Deployment, allocateDeployserial, deploymentPath, listWithNewDeployment, loadSysroot, mergeDeployment,
} from './deployments.js';
import { type EtcDefaults, type EtcMergeResult, type FileContent, buildDeploymentEtc, objectsContent } from './etc/etc-merge.js';
import { type Fs, WriteLog, ensureDir, nodeFs, removeTree, writeAtomic } from '../io/fs.js';
import { CFS_OBJECTS_DIR, type ComposefsMode, imageSha256, writeExtension } from './boot/initramfs.js';
import { formatKargs, parseKargs, replaceKarg, withoutKarg } from '../formats/kargs.js';
import { checkStateroot, paths } from './layout.js';
import { withSysrootLock } from './lock.js';
import { type BootedEnv, HOST_ENV } from './booted.js';
import { writeStagedState } from './staged.js';
import { OS_RELEASE_MAX_BYTES, parseOsRelease, titleFromOsRelease } from '../formats/os-release.js';
import type { KeyFile } from '../formats/keyfile.js';
import { originForRefspec, writeOrigin } from './origin.js';
import { type BootFile, installBootFiles, writeDeployments } from './boot/swap.js';

export interface DeployOptions {
  sysroot: string;
  stateroot: string;
  /** A ref, a commit checksum (or unique prefix), or the digest of an image in `cfs/images/`. */
  source: string;
  /** `--karg K=V`: replaces every earlier value of K (kargs start from the merge deployment's). */
  kargs?: string[];
  /** `--karg-append K=V`: appended as is. */
  kargsAppend?: string[];
  /** Keep every current deployment of the stateroot. */
  retain?: boolean;
  /** Insert after the booted/merge deployment instead of first. */
  notAsDefault?: boolean;
  /** Start /etc from the new defaults only and ignore the merge deployment's kargs. */
  noMerge?: boolean;
  /** prepare-root.conf `[composefs] enabled` written into the initramfs extension. */
  composefs?: ComposefsMode;
  /** The new deployment's `.origin` (default: `[origin] refspec=` of the source). */
  origin?: KeyFile;
  fs?: Fs;
  /** The caller holds the sysroot lock already. */
  locked?: boolean;
  /** Where the running system is seen from (booted.ts; default the host's). */
  env?: BootedEnv;
  /** Stage it (staged.ts): no boot entry until finalize-staged; needs a booted system. */
  stage?: boolean;
}

export interface DeployResult {
  deployment: Deployment;
  /** fs-verity digest of the image (hex) = the `composefs=` karg. */
  digest: string;
  /** The deployment directory, relative to the sysroot. */
  dir: string;
  etc: EtcMergeResult;
}

type Content = (n: Node) => FileContent;

const CROSS_DEVICE = ['EXDEV', 'EMLINK', 'EPERM'];
const errno = (e: unknown) => (e as NodeJS.ErrnoException).code ?? '';

/** Deploys under the sysroot lock (unless `locked`). */
export async function deploy(o: DeployOptions): Promise<DeployResult> {
  return o.locked ? deployLocked(o) : withSysrootLock(o.sysroot, () => deployLocked(o));
}

interface Resolved {
  checksum: string;
  commit: Commit;
  digest: string;
  refspec: string;
}

/** A stored image that no stub commit names: deploy writes one once the image has been read. */
interface UnnamedImage {
  digest: string;
  checksum?: undefined;
}

/** REF | COMMIT | IMAGE → the stub commit and its image digest, or an image no commit names (ostree.md §6 item 1). */
export function resolveSource(repo: Repo, sysroot: string, source: string, f: Fs = nodeFs): Resolved | UnnamedImage {
  let found: { checksum: string; commit: Commit };
  try {
    found = readCommit(repo, source);
  } catch (e) {
    if (!isDigestHex(source) || !f.lstat(cfsImagePaths.store(sysroot, source))) throw e;
    const stub = stubCommitForImage(repo, source);
    if (!stub) return { digest: source };
    found = stub;
  }
  const digest = commitImageDigest(found.commit);
  if (!digest) {
    throw new CfsError(`commit ${found.checksum} has no ostree.composefs.digest.v0: not a composefs stub commit`, { field: 'ostree.composefs.digest.v0', code: 'EDEPLOY' });
  }
  const refspec = found.checksum.startsWith(source) || source === digest || !isValidRefName(source.replace(/^[^:]*:/, '')) ? found.checksum : source;
  return { ...found, digest, refspec };
}

/** The newest stub commit whose metadata names image `hex`. */
function stubCommitForImage(repo: Repo, hex: string): { checksum: string; commit: Commit } | undefined {
  let best: { checksum: string; commit: Commit } | undefined;
  for (const { checksum } of listObjects(repo, 'commit')) {
    let commit: Commit;
    try {
      commit = decodeCommit(readMetadata(repo, 'commit', checksum));
    } catch {
      continue;
    }
    if (commitImageDigest(commit) === hex && (!best || commit.timestamp > best.commit.timestamp)) best = { checksum, commit };
  }
  return best;
}

/**
 * A stub commit on no branch for a stored image that no commit names (docs/FORMAT.md), from what
 * deploy has read of it: format version from the header, `version` from os-release VERSION_ID
 * (else VERSION), bootable with its kernel release. Deployment refs then keep it from `ostree prune`.
 */
async function imageStubCommit(repo: Repo, hex: string, image: Uint8Array, root: Node, release: Map<string, string>): Promise<Resolved> {
  const { checksum } = await commitImage(repo, { image, root }, {
    version: release.get('VERSION_ID') ?? release.get('VERSION'),
    subject: `Image ${hex}`,
  });
  return { ...readCommit(repo, checksum), digest: hex, refspec: checksum };
}

/** A tree's file as a path (backing object) or bytes (inline). */
function fileSource(content: Content, n: Node): string | Uint8Array {
  const c = content(n);
  return 'bytes' in c ? c.bytes : c.path.toString();
}

/** What deploy reads of an image: the /etc defaults (os-release may be there too)… */
const ETC_DEFAULTS_PATHS = ['usr/etc', 'etc'];
/** …the kernel (bootcsum.ts findKernel) and usr/lib/os-release. Nothing else is loaded. */
const KERNEL_PATHS = ['usr/lib/modules', 'usr/lib/os-release'];

/** The image's /etc defaults: `usr/etc`, or a populated `etc` of a tree without one (ostree.md §4.1). */
function etcDefaultsOf(root: Node, file: string): Node | undefined {
  const usrEtc = lookupPath(root, 'usr/etc');
  const etc = lookupPath(root, 'etc');
  const populated = (n?: Node) => (n?.children?.length ?? 0) > 0;
  if (populated(usrEtc) && populated(etc)) throw new CfsError('Tree contains both /etc and /usr/etc', { file, code: 'EDEPLOY' });
  return usrEtc?.children ? usrEtc : etc?.children ? etc : undefined;
}

async function deployLocked(o: DeployOptions): Promise<DeployResult> {
  const written = new WriteLog(o.fs ?? nodeFs);
  const f = written.fs;
  const { sysroot, stateroot } = o;
  checkStateroot(stateroot);
  if (!f.stat(paths.stateroot(sysroot, stateroot))?.isDirectory()) {
    throw new CfsError(`stateroot '${stateroot}' does not exist (run cfskit admin os-init)`, { file: paths.stateroot(sysroot, stateroot), code: 'EDEPLOY' });
  }
  const repo = { ...openRepo(paths.repo(sysroot)), fs: f };
  const found = resolveSource(repo, sysroot, o.source, f);
  const storeImage = cfsImagePaths.store(sysroot, found.digest);
  if (!f.stat(storeImage)) throw new CfsError(`image ${found.digest}${found.checksum ? ` of commit ${found.checksum}` : ''} is not in the store`, { file: storeImage, code: 'EDEPLOY' });
  const bytes = f.readFile(storeImage);
  if (digestBytes(bytes).hex !== found.digest) {
    throw new CfsError(`image does not match its digest ${found.digest}`, { file: storeImage, field: 'ostree.composefs.digest.v0', code: 'EDEPLOY' });
  }
  const objects = cfsImagePaths.objects(sysroot);
  checkImageObjects(bytes, storeImage, objects, found.digest);
  const root = readImage(bytes, { file: storeImage, paths: [...ETC_DEFAULTS_PATHS, ...KERNEL_PATHS] });
  const content = storeContent(objects, storeImage);
  const kernel = findKernel(root);
  if (!kernel) throw new CfsError('Failed to find kernel in /usr/lib/modules (need usr/lib/modules/KVER/vmlinuz)', { file: storeImage, code: 'EDEPLOY' });
  if (!kernel.initramfs) {
    throw new CfsError(`no usr/lib/modules/${kernel.kver}/initramfs.img: a composefs deployment boots through an initramfs`, { file: storeImage, code: 'EDEPLOY' });
  }
  const bootcsum = computeBootcsum(bootcsumInputs(kernel).map((n) => fileSource(content, n)));
  const release = osRelease(root, content);
  const src = found.checksum !== undefined ? found : await imageStubCommit(repo, found.digest, bytes, root, release);

  const state = loadSysroot(sysroot, f, o.env);
  if (o.stage && !state.booted) throw new CfsError('Cannot stage deployment: Not currently booted into an OSTree system', { file: sysroot, code: 'EDEPLOY' });
  const merge = o.noMerge ? undefined : mergeDeployment(state, stateroot);
  const name = { csum: src.checksum, deployserial: allocateDeployserial(sysroot, stateroot, src.checksum, f) };
  const dir = paths.deployment(sysroot, stateroot, name);
  const rel = cfsImagePaths.deploymentRel(stateroot, name);

  // 2. the image in the stateroot, then the deployment directory
  ensureDir(f, paths.var(sysroot, stateroot), 0o755);
  const staterootImage = cfsImagePaths.stateroot(sysroot, stateroot, src.digest);
  ensureDir(f, cfsImagePaths.staterootDir(sysroot, stateroot), 0o755);
  // images/<digest> is a symlink to the object: link the object itself
  if (!f.lstat(staterootImage)) installReplace(f, realpathSync(storeImage), staterootImage);
  ensureDir(f, paths.deployDir(sysroot, stateroot), 0o755);
  removeTree(f, dir);
  f.mkdir(dir, 0o755);
  linkOrCopy(f, staterootImage, `${dir}/${DEPLOY_IMAGE}`, 0o644);
  const etc = buildDeploymentEtc({
    newDefaults: { root: etcDefaultsOf(root, storeImage) ?? emptyDir(), content },
    deployDir: dir,
    merge: merge ? { oldDefaults: mergeEtcDefaults(sysroot, merge), deployDir: deploymentPath(sysroot, merge) } : undefined,
    fs: f,
  });
  writeKernelDiscoveryFiles(f, dir, root, kernel, content);
  const origin = o.origin ?? originForRefspec(src.refspec);
  writeOrigin(paths.origin(sysroot, stateroot, name), origin, f);
  // ostree syncs the whole filesystem here (syncfs); Node cannot, so everything step 2 wrote is fsynced
  written.sync();

  // 3. the initramfs extension
  const overlay = writeExtension(sysroot, {
    digest: src.digest, image: `${rel}/${DEPLOY_IMAGE}`, sha256: imageSha256(`${dir}/${DEPLOY_IMAGE}`),
    objects: CFS_OBJECTS_DIR, deployment: rel, composefs: o.composefs ?? 'yes',
  }, f);

  // 4. the entry, the new list, the swap
  const names = bootFileNames(kernel.kver);
  const bootDir = `/ostree/${stateroot}-${bootcsum}`;
  const entry = new BootEntry();
  const title = titleFromOsRelease(release, commitString(src.commit, 'version'));
  if (title !== undefined) entry.set('title', title);
  entry.set('options', formatKargs(newKargs(o, merge, src.digest)));
  entry.set('linux', `${bootDir}/${names.vmlinuz}`);
  if (kernel.devicetree) entry.set('devicetree', `${bootDir}/${names.devicetree}`);
  entry.initrds = [`${bootDir}/${names.initramfs}`, overlay];
  const added: Deployment = {
    stateroot, ...name, bootcsum, bootserial: 0, entry, origin, unlocked: 'none',
    overlayInitrds: [overlay.slice(overlay.lastIndexOf('/') + 1, -'.img'.length)],
  };
  const bootFiles: BootFile[] = [
    { name: names.vmlinuz, src: fileSource(content, kernel.vmlinuz) },
    { name: names.initramfs, src: fileSource(content, kernel.initramfs) },
    ...(kernel.devicetree ? [{ name: names.devicetree, src: fileSource(content, kernel.devicetree) }] : []),
    ...(kernel.hmac ? [{ name: names.hmac, src: fileSource(content, kernel.hmac) }] : []),
  ];
  if (o.stage) {
    // the kernel now (finalization at shutdown only writes entries); the state file names the rest
    installBootFiles(f, sysroot, added, bootFiles);
    writeStagedState(o.env ?? HOST_ENV, { ...added, staged: true }, merge, f);
  } else {
    writeDeployments(sysroot, listWithNewDeployment(state, added, { retain: o.retain, notAsDefault: o.notAsDefault }), {
      fs: f, bootFiles: new Map([[`${stateroot}-${bootcsum}`, bootFiles]]), env: o.env,
    });
  }
  return { deployment: added, digest: src.digest, dir: rel, etc };
}

/** Kernel arguments: the merge deployment's, `--karg` replacing, `--karg-append` appended, then `composefs=`. */
function newKargs(o: DeployOptions, merge: Deployment | undefined, digest: string): string[] {
  let args = withoutKarg(parseKargs(merge?.entry.options ?? ''), 'ostree');
  for (const k of o.kargs ?? []) args = replaceKarg(args, k);
  args.push(...(o.kargsAppend ?? []));
  return replaceKarg(args, `${COMPOSEFS_KARG}=${digest}`);
}

/**
 * The merge deployment's old /etc defaults: from its own image (ostree.md §6 item 5), the stateroot's
 * copy its `composefs=` names (the same file: while that deployment runs, prepare-root's bind of
 * the root hides its directory's `.ostree.cfs`).
 */
export function mergeEtcDefaults(sysroot: string, merge: Deployment): EtcDefaults {
  const digest = parseKargs(merge.entry.options ?? '').find((a) => a.startsWith(`${COMPOSEFS_KARG}=`))?.slice(COMPOSEFS_KARG.length + 1);
  const image = digest !== undefined && isDigestHex(digest)
    ? cfsImagePaths.stateroot(sysroot, merge.stateroot, digest)
    : `${deploymentPath(sysroot, merge)}/${DEPLOY_IMAGE}`;
  const root = readImageFile(image, ETC_DEFAULTS_PATHS);
  return { root: etcDefaultsOf(root, image) ?? emptyDir(), content: storeContent(cfsImagePaths.objects(sysroot), image) };
}

/** Every backing path of the image is an object path (backing-path.ts) of an object in the store. */
function checkImageObjects(bytes: Uint8Array, file: string, objects: string, digest: string): void {
  for (const hex of backingObjects(bytes, file)) {
    try {
      checkObject(objects, hex);
    } catch (e) {
      if (!(e instanceof CfsError)) throw e;
      throw new CfsError(`image ${digest} cannot be deployed: ${e.reason}`, { file: e.file, code: 'EDEPLOY' });
    }
  }
}

/**
 * A file's data for deploy: inline bytes, or its store object — the backing path checked by
 * backing-path.ts and the object opened without following links and hashed before its first use
 * (the /etc defaults are copied and the kernel is linked into /boot from here).
 */
function storeContent(objects: string, file: string): Content {
  const inline = objectsContent(objects);
  const checked = new Map<string, string>();
  return (n) => {
    const t = n.target;
    if (t.content || !t.payload) return inline(n);
    const hex = backingObject(t.payload, t.digest, { file, path: n.path() });
    let path = checked.get(hex);
    if (path === undefined) {
      path = checkObject(objects, hex, { size: t.size, digest: true });
      checked.set(hex, path);
    }
    return { path };
  };
}

/** No /etc defaults: an empty directory (0755, root-owned). */
const emptyDir = (): Node => new Node(new Uint8Array(0), S_IFDIR | 0o755);

/** os-release of the image (usr/lib/os-release, else the /etc defaults' copy), regular files only. */
function osRelease(root: Node, content: Content): Map<string, string> {
  for (const rel of ['usr/lib/os-release', 'usr/etc/os-release', 'etc/os-release']) {
    const n = lookupPath(root, rel);
    if (!n || (n.target.mode & S_IFMT) !== S_IFREG || n.target.size > BigInt(OS_RELEASE_MAX_BYTES)) continue;
    const c = content(n);
    return parseOsRelease('bytes' in c ? c.bytes : nodeFs.readFile(c.path));
  }
  return new Map();
}

/**
 * What upstream ostree's kernel discovery reads in every deployment directory before it rewrites
 * boot entries (ostree.md §3.10 caveat, §6 item 7): `usr/lib/modules/KVER/{vmlinuz,initramfs.img}` and
 * `usr/lib/os-release`. With them `ostree admin undeploy` works on a cfskit sysroot.
 */
function writeKernelDiscoveryFiles(f: Fs, dir: string, root: Node, kernel: KernelLayout, content: Content): void {
  const modules = `${dir}/usr/lib/modules/${kernel.kver}`;
  ensureDir(f, modules, 0o755);
  const place = (n: Node, dest: string) => {
    const src = fileSource(content, n);
    if (typeof src === 'string') linkOrCopy(f, src, dest, 0o644);
    else f.writeFile(dest, src, 0o644);
  };
  place(kernel.vmlinuz, `${modules}/vmlinuz`);
  if (kernel.initramfs) place(kernel.initramfs, `${modules}/initramfs.img`);
  const osr = lookupPath(root, 'usr/lib/os-release');
  if (osr && (osr.target.mode & S_IFMT) === S_IFREG) place(osr, `${dir}/usr/lib/os-release`);
}

/** A hardlink, or a copy when the link cannot be made (another filesystem, link limit). */
export function linkOrCopy(f: Fs, src: string, dest: string, mode: number): void {
  try {
    f.link(src, dest);
  } catch (e) {
    if (!CROSS_DEVICE.includes(errno(e))) throw e;
    f.copyFile(src, dest, mode);
  }
}

/** linkOrCopy under a temp name, fsync, rename: `dest` only ever appears complete. */
function installReplace(f: Fs, src: string, dest: string): void {
  writeAtomic(f, dest, (tmp) => linkOrCopy(f, src, tmp, 0o644), { dotTmp: true });
}
