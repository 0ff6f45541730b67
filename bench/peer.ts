/**
 * Shared pieces of the side-by-side benches (dir.ts, info.ts, commit.ts): finding a C peer tool,
 * timing one process (wall and peak RSS), and the ratio line.
 * Peers are looked up in $CFSKIT_PEER_DIR first, then on PATH; a bench says so and skips the
 * rows of a peer that is absent.
 */
import { spawnSync, type SpawnSyncOptions } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { loadavg } from 'node:os';
import { delimiter, join } from 'node:path';

/** Absolute path of an executable named `name`, or null. */
export function findPeer(name: string): string | null {
  const dirs = [process.env.CFSKIT_PEER_DIR, ...(process.env.PATH ?? '').split(delimiter)].filter((d): d is string => !!d);
  for (const d of dirs) {
    try {
      accessSync(join(d, name), constants.X_OK);
      return join(d, name);
    } catch {
      // not here
    }
  }
  return null;
}

export interface Sample {
  wall: number;
  rssMiB: number;
  /** user + system seconds: steadier than wall time when the machine is loaded. */
  cpu: number;
}

/** One run of `cmd args` through /usr/bin/time: wall seconds, peak RSS and CPU time (NaN without /usr/bin/time). */
export function timed(cmd: string, args: string[], opts: SpawnSyncOptions = {}): Sample {
  const hasTime = spawnSync('/usr/bin/time', ['true']).status === 0;
  const t0 = performance.now();
  const r = hasTime
    ? spawnSync('/usr/bin/time', ['-f', '%e %M %U %S', cmd, ...args], { ...opts, encoding: 'utf8', maxBuffer: 1 << 30 })
    : spawnSync(cmd, args, { ...opts, encoding: 'utf8', maxBuffer: 1 << 30 });
  const wall = (performance.now() - t0) / 1000;
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${r.status}): ${String(r.stderr).slice(-400)}`);
  const [, kib, user, sys] = hasTime ? String(r.stderr).trim().split('\n').pop()!.split(' ').map(Number) : [NaN, NaN, NaN, NaN];
  return { wall, rssMiB: kib / 1024, cpu: user + sys };
}

/** The median of `runs` samples of each of several commands, run interleaved (a, b, a, b, …) so load hits all alike. */
export function interleaved(runs: number, fns: (() => Sample)[]): Sample[] {
  const all: Sample[][] = fns.map(() => []);
  for (let i = 0; i < runs; i++) fns.forEach((fn, j) => all[j].push(fn()));
  return all.map((s) => {
    const walls = s.map((x) => x.wall).sort((a, b) => a - b);
    const cpus = s.map((x) => x.cpu).sort((a, b) => a - b);
    return { wall: walls[Math.floor(walls.length / 2)], rssMiB: Math.max(...s.map((x) => x.rssMiB)), cpu: cpus[Math.floor(cpus.length / 2)] };
  });
}

export function load(): string {
  return loadavg().map((l) => l.toFixed(2)).join(' ');
}

/** One row: ours and the peer's wall time and memory, with the ratios and the target. */
export function row(label: string, ours: Sample, peer: Sample | null, target: string): string {
  const fmt = (s: Sample) => `${s.wall.toFixed(2)} s (cpu ${s.cpu.toFixed(2)}) ${s.rssMiB.toFixed(0)} MiB`;
  if (!peer) return `${label.padEnd(44)} cfskit ${fmt(ours)}   (peer absent)`;
  // A peer that finishes within the clock's resolution has no ratio.
  const x = (a: number, b: number) => (b > 0 ? `${(a / b).toFixed(2)}×` : '—');
  const ratio = `${x(ours.wall, peer.wall)} wall, ${x(ours.cpu, peer.cpu)} cpu, ${x(ours.rssMiB, peer.rssMiB)} memory`;
  return `${label.padEnd(44)} cfskit ${fmt(ours).padEnd(30)} peer ${fmt(peer).padEnd(30)} ${ratio}  [target ${target}]`;
}
