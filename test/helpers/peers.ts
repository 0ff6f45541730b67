/**
 * Real peers (fsverity, fsck.erofs, ostree, the kernel's mounts): a test whose peer is missing
 * says so and skips; with CFSKIT_REQUIRE_PEERS=1 (set by .ci/run) a missing peer fails the test.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const required = process.env.CFSKIT_REQUIRE_PEERS === '1';

export function hasCommand(cmd: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;
}

/** Call from a `function () {}` test or hook: skips (or fails under CFSKIT_REQUIRE_PEERS) when a command is absent. */
export function needCommand(ctx: Mocha.Context, cmd: string): void {
  if (hasCommand(cmd)) return;
  if (required) throw new Error(`peer '${cmd}' is missing and CFSKIT_REQUIRE_PEERS=1`);
  console.log(`      (skipped: peer '${cmd}' is not installed)`);
  ctx.skip();
}

let mountOk: boolean | undefined;
/** True when we are root and the kernel mounts EROFS from a loop device (probed once with mkfs.erofs). */
export function canMount(): boolean {
  if (mountOk !== undefined) return mountOk;
  mountOk = false;
  if (process.getuid?.() !== 0 || !hasCommand('losetup') || !hasCommand('mkfs.erofs')) return mountOk;
  const dir = mkdtempSync(join(tmpdir(), 'cfskit-mountprobe-'));
  try {
    mkdirSync(join(dir, 'src'));
    mkdirSync(join(dir, 'mnt'));
    writeFileSync(join(dir, 'src', 'f'), 'x');
    const img = join(dir, 'probe.erofs');
    if (spawnSync('mkfs.erofs', ['--quiet', img, join(dir, 'src')], { stdio: 'ignore' }).status !== 0) return mountOk;
    const unmount = mountErofs(img, join(dir, 'mnt'));
    unmount();
    mountOk = true;
  } catch {
    mountOk = false;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return mountOk;
}

/**
 * Mounts an EROFS image read-only at `mnt` through an explicit loop device (here `mount -o loop`
 * cannot set one up, `losetup` can). Returns the function that unmounts and frees the device;
 * call it in `finally`.
 */
export function mountErofs(img: string, mnt: string): () => void {
  const lo = spawnSync('losetup', ['--find', '--show', '--read-only', img]);
  const dev = lo.stdout?.toString().trim();
  if (lo.status !== 0 || !dev) throw new Error(`losetup failed for ${img}: ${lo.stderr?.toString()}`);
  const m = spawnSync('mount', ['-t', 'erofs', '-o', 'ro', dev, mnt]);
  if (m.status !== 0) {
    spawnSync('losetup', ['-d', dev]);
    throw new Error(`mount -t erofs ${img} failed: ${m.stderr?.toString()}`);
  }
  return () => {
    spawnSync('umount', [mnt]);
    spawnSync('losetup', ['-d', dev]);
  };
}

/** Mounts overlayfs read-only with a data-only lower layer over the object store: `lowerdir=EROFS_MNT::OBJECTS`. */
export function mountComposefsOverlay(erofsMnt: string, objects: string, mnt: string): () => void {
  const opts = `ro,metacopy=on,redirect_dir=on,lowerdir=${erofsMnt}::${objects}`;
  let m = spawnSync('mount', ['-t', 'overlay', 'overlay', '-o', opts, mnt]);
  if (m.status !== 0) {
    // Kernels before 6.5 read "::" as an empty layer; the legacy form needs the 00..ff whiteouts in the image.
    m = spawnSync('mount', ['-t', 'overlay', 'overlay', '-o', `ro,metacopy=on,redirect_dir=on,lowerdir=${erofsMnt}:${objects}`, mnt]);
  }
  if (m.status !== 0) throw new Error(`overlay mount failed: ${m.stderr?.toString()}`);
  return () => {
    spawnSync('umount', [mnt]);
  };
}

/** Skips (or fails under CFSKIT_REQUIRE_PEERS) when kernel mounts are unavailable. */
export function needMount(ctx: Mocha.Context): void {
  if (canMount()) return;
  if (required) throw new Error('kernel EROFS loop mounts are unavailable and CFSKIT_REQUIRE_PEERS=1');
  console.log('      (skipped: not root, or the kernel cannot loop-mount EROFS here)');
  ctx.skip();
}

/** Runs a peer command, returning stdout/stderr as text and the exit status. */
export function runPeer(cmd: string, args: string[], opts: { input?: string | Uint8Array; cwd?: string } = {}) {
  const r = spawnSync(cmd, args, { input: opts.input, cwd: opts.cwd, maxBuffer: 1 << 30 });
  return { status: r.status ?? -1, stdout: r.stdout?.toString() ?? '', stderr: r.stderr?.toString() ?? '' };
}
