/**
 * A lazily started pool of hashing workers, shared by all digestFile calls of this thread.
 * Idle workers are unref'd so they never keep the process alive.
 */
import { Worker } from 'node:worker_threads';
import { CfsError } from '../errors.js';
import { wasmModule } from '../wasm/instance.js';
import type { RangeJob } from './range.js';
import type { JobReply } from './worker.js';

// Compiled, the worker is worker.js next to this file. Under tsx (tests, benches) it is
// worker.ts, and Node 20 does not pass tsx's loader on to workers: a bootstrap registers it first.
const UNDER_TSX = import.meta.url.endsWith('.ts');
const WORKER_URL = new URL(UNDER_TSX ? './worker.ts' : './worker.js', import.meta.url);

function newWorker(workerData: unknown): Worker {
  if (!UNDER_TSX) return new Worker(WORKER_URL, { workerData });
  // tsx's CJS mode (mocha) has no import.meta.resolve; a bare specifier resolves from the cwd
  const tsx = JSON.stringify(import.meta.resolve?.('tsx/esm/api') ?? 'tsx/esm/api');
  const boot = `import(${tsx}).then((tsx) => { tsx.register(); return import(${JSON.stringify(WORKER_URL.href)}); });`;
  return new Worker(boot, { eval: true, workerData });
}

interface Task {
  job: RangeJob;
  resolve(digests: Uint8Array): void;
  reject(err: Error): void;
}

const idle: Worker[] = [];
const running = new Map<Worker, Task>();
const queue: Task[] = [];
let started = 0;

/** Starts a worker; it joins the idle list once it says it is ready (messages sent earlier could be lost). */
function startWorker(): void {
  const w = newWorker({ module: wasmModule() });
  started++;
  w.on('message', (reply: JobReply | 'ready') => {
    const task = running.get(w);
    running.delete(w);
    idle.push(w);
    w.unref();
    if (task && reply !== 'ready') {
      if ('error' in reply) {
        const { reason, file, offset, code } = reply.error;
        task.reject(new CfsError(reason, { file, offset, code }));
      } else {
        task.resolve(reply.digests);
      }
    }
    dispatch();
  });
  w.on('error', (err) => {
    // a crashed worker is dropped; its task fails and a later job starts a new worker
    const task = running.get(w);
    running.delete(w);
    started--;
    task?.reject(err);
    // with no worker left (e.g. none could start), fail the queue instead of waiting forever
    if (started === 0) for (const t of queue.splice(0)) t.reject(err);
    dispatch();
  });
}

function dispatch(): void {
  while (queue.length > 0) {
    const w = idle.pop();
    if (!w) return;
    const task = queue.shift()!;
    running.set(w, task);
    w.ref();
    w.postMessage(task.job);
  }
}

/** Runs a range job on a worker, starting workers up to `poolSize` as needed. */
export function runJob(job: RangeJob, poolSize: number): Promise<Uint8Array> {
  return new Promise((resolve, reject) => {
    queue.push({ job, resolve, reject });
    if (idle.length === 0 && started < poolSize) startWorker();
    dispatch();
  });
}
