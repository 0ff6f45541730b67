/**
 * Fault injection for crash-safety tests: an Fs that forwards to node:fs and throws at the Nth
 * mutating call (a simulated crash: nothing after it runs). Reads never fail. fsync and syncfs
 * are counted (steps a crash can interrupt) but not performed (syncfs reports success): durability
 * across a real power cut cannot be observed here, and skipping it keeps hundreds of replays fast.
 */
import { type Fs, nodeFs } from '../../src/io/fs.js';

const MUTATING = ['mkdir', 'writeFile', 'copyFile', 'link', 'symlink', 'rename', 'unlink', 'rmdir', 'chmod', 'lchown', 'lutimes', 'fsync', 'syncfs', 'open', 'write', 'reflink'] as const;

export class InjectedFault extends Error {}

/** Counts mutating calls; with `failAt` = n, the nth call throws InjectedFault instead of running. */
export function faultyFs(failAt = Infinity): Fs & { calls: string[] } {
  const calls: string[] = [];
  const f = { ...nodeFs, calls } as Fs & { calls: string[] };
  for (const name of MUTATING) {
    const real = nodeFs[name] as (...a: unknown[]) => unknown;
    (f as unknown as Record<string, unknown>)[name] = (...args: unknown[]) => {
      // a rename or link names both paths; a write names its descriptor
      const call = `${name} ${args.slice(0, name === 'rename' || name === 'link' || name === 'reflink' ? 2 : 1).map(String).join(' ')}`;
      calls.push(call);
      if (calls.length === failAt) throw new InjectedFault(`injected fault at write ${failAt}: ${call}`);
      return name === 'fsync' ? undefined : name === 'syncfs' ? Promise.resolve(true) : real(...args);
    };
  }
  return f;
}
