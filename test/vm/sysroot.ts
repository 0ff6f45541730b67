/**
 * The sysroot the VM boots is made by the product itself: the compiled `cfskit` CLI
 * (dist/cli/main.js, so `npm run build` first) runs admin init-fs / os-init, commit, admin
 * deploy / rollback / kargs / verify, exactly as a user would.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const MAIN = fileURLToPath(new URL('../../dist/cli/main.js', import.meta.url));

export interface CliResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `cfskit ARGS...`, whatever its exit status. */
export function cfskitRun(args: string[]): CliResult {
  if (!existsSync(MAIN)) throw new Error(`${MAIN} is missing: run npm run build first`);
  const r = spawnSync(process.execPath, [MAIN, ...args], { encoding: 'utf8' });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Runs `cfskit ARGS...`, which must exit 0; returns its stdout. */
export function cfskit(...args: string[]): string {
  const r = cfskitRun(args);
  if (r.status !== 0) throw new Error(`cfskit ${args.join(' ')} exited ${r.status}: ${r.stderr}`);
  return r.stdout;
}

export interface Deployed {
  /** The deployment directory relative to the sysroot. */
  dir: string;
  /** fs-verity digest of its image (the `composefs=` karg). */
  digest: string;
  /** The `Copying /etc changes: ...` line. */
  etcChanges: string;
}

/** `cfskit admin deploy ARGS...` and what it reports. */
export function deploy(...args: string[]): Deployed {
  const out = cfskit('admin', 'deploy', ...args);
  const m = /^Deployed (\S+) \(composefs=([0-9a-f]{64})\)$/m.exec(out);
  const etc = /^Copying \/etc changes: .*$/m.exec(out);
  if (!m || !etc) throw new Error(`unexpected output of cfskit admin deploy: ${out}`);
  return { dir: m[1], digest: m[2], etcChanges: etc[0] };
}
