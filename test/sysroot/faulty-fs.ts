/**
 * Fault injection for crash-safety tests: an Fs that forwards to node:fs and throws at the Nth
 * mutating call (a simulated crash: nothing after it runs). Reads never fail. fsync is counted
 * (it is a step a crash can interrupt) but not performed: durability across a real power cut
 * cannot be observed here, and skipping it keeps hundreds of replays fast.
 */
import { type Fs, nodeFs } from '../../src/io/fs.js';

const MUTATING = ['mkdir', 'writeFile', 'copyFile', 'link', 'symlink', 'rename', 'unlink', 'rmdir', 'chmod', 'lchown', 'lutimes', 'fsync'] as const;

export class InjectedFault extends Error {}

/** Counts mutating calls; with `failAt` = n, the nth call throws InjectedFault instead of running. */
export function faultyFs(failAt = Infinity): Fs & { calls: string[] } {
  const calls: string[] = [];
  const f = { ...nodeFs, calls } as Fs & { calls: string[] };
  for (const name of MUTATING) {
    const real = nodeFs[name] as (...a: unknown[]) => void;
    (f as unknown as Record<string, unknown>)[name] = (...args: unknown[]) => {
      calls.push(`${name} ${String(args[0])}`);
      if (calls.length === failAt) throw new InjectedFault(`injected fault at write ${failAt}: ${name} ${String(args[0])}`);
      if (name !== 'fsync') real(...args);
    };
  }
  return f;
}
