/**
 * Builds sysroots for the tests the way deploy will: init-fs, os-init, a stub commit per version,
 * a deployment directory + .origin, a BLS entry template, then writeDeployments.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { writeStubCommit } from '../../src/ostree/commit.js';
import { openRepo } from '../../src/ostree/repo.js';
import { BootEntry } from '../../src/formats/bls.js';
import { type Deployment, allocateDeployserial } from '../../src/sysroot/deployments.js';
import { initFs, osInit, paths } from '../../src/sysroot/layout.js';
import { originForRefspec, writeOrigin } from '../../src/sysroot/origin.js';

export function makeSysroot(dir: string, staterroots: string[] = ['testos']): void {
  mkdirSync(dir, { recursive: true });
  initFs(dir);
  for (const s of staterroots) osInit(dir, s);
}

let counter = 0;

/** A new deployment (directory + origin) of a fresh stub commit with `version`. */
export function makeDeployment(sysroot: string, stateroot: string, version: string, opts: { bootcsum?: string; kargs?: string; withKernel?: boolean } = {}): Deployment {
  const repo = openRepo(paths.repo(sysroot));
  const digest = new Uint8Array(32).fill(++counter);
  const csum = writeStubCommit(repo, { branch: `${stateroot}/stable`, imageDigest: digest, formatVersion: 1, version, timestamp: 1700000000n + BigInt(counter) });
  const deployserial = allocateDeployserial(sysroot, stateroot, csum);
  const d = { csum, deployserial };
  const dir = paths.deployment(sysroot, stateroot, d);
  mkdirSync(`${dir}/etc`, { recursive: true });
  if (opts.withKernel) {
    // what upstream admin writes need in a deployment dir (ostree.md §3.10 caveat)
    mkdirSync(`${dir}/usr/lib/modules/6.1.0`, { recursive: true });
    writeFileSync(`${dir}/usr/lib/modules/6.1.0/vmlinuz`, `kernel ${version}\n`);
    writeFileSync(`${dir}/usr/lib/os-release`, `PRETTY_NAME="Test OS"\n`);
  }
  writeOrigin(paths.origin(sysroot, stateroot, d), originForRefspec(`${stateroot}/stable`));
  const bootcsum = opts.bootcsum ?? 'b0'.repeat(32);
  const entry = new BootEntry();
  entry.set('title', `Test OS ${version}`);
  entry.set('options', opts.kargs ?? 'root=LABEL=rootfs quiet');
  entry.set('linux', `/ostree/${stateroot}-${bootcsum}/vmlinuz-6.1.0`);
  entry.initrds = [`/ostree/${stateroot}-${bootcsum}/initramfs-6.1.0.img`];
  return { stateroot, csum, deployserial, bootcsum, bootserial: 0, entry, origin: originForRefspec(`${stateroot}/stable`), unlocked: 'none', overlayInitrds: [] };
}
