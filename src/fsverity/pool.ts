/**
 * Lazily started pools of worker threads, each worker with its own Wasm instance (the parent's
 * compiled module is handed over). Idle workers are unref'd so they never keep the process
 * alive. A worker script answers jobs with serveJobs().
 */
import { parentPort, Worker, workerData } from 'node:worker_threads';
import { CfsError, type CfsErrorCode } from '../errors.js';
import { useModule, wasmModule } from '../wasm/instance.js';

/** After 'ready', one reply per job. */
export type JobReply<R> = { result: R } | { error: { reason: string; file?: string; offset?: number; code?: CfsErrorCode } };

/** Compiled, a worker is `NAME.js`; under tsx (tests, benches) `NAME.ts`, and Node 20 does not pass tsx's loader on to workers: a bootstrap registers it first. */
function newWorker(url: URL): Worker {
  const data = { module: wasmModule() };
  if (!url.pathname.endsWith('.ts')) return new Worker(url, { workerData: data });
  // tsx's CJS mode (mocha) has no import.meta.resolve; a bare specifier resolves from the cwd
  const tsx = JSON.stringify(import.meta.resolve?.('tsx/esm/api') ?? 'tsx/esm/api');
  const boot = `import(${tsx}).then((tsx) => { tsx.register(); return import(${JSON.stringify(url.href)}); });`;
  return new Worker(boot, { eval: true, workerData: data });
}

/** The script `name` (without extension) next to `base`, as compiled JS or, under tsx, TS. */
export function workerUrl(name: string, base: string): URL {
  return new URL(`./${name}${base.endsWith('.ts') ? '.ts' : '.js'}`, base);
}

interface Task<J, R> {
  job: J;
  resolve(result: R): void;
  reject(err: Error): void;
}

export class WorkerPool<J, R> {
  private readonly idle: Worker[] = [];
  private readonly running = new Map<Worker, Task<J, R>>();
  private readonly queue: Task<J, R>[] = [];
  private started = 0;

  constructor(private readonly url: URL) {}

  /** Runs a job on a worker, starting workers up to `poolSize` as needed. */
  run(job: J, poolSize: number): Promise<R> {
    return new Promise((resolve, reject) => {
      this.queue.push({ job, resolve, reject });
      if (this.idle.length === 0 && this.started < poolSize) this.startWorker();
      this.dispatch();
    });
  }

  /** Starts a worker; it joins the idle list once it says it is ready (messages sent earlier could be lost). */
  private startWorker(): void {
    const w = newWorker(this.url);
    this.started++;
    w.on('message', (reply: JobReply<R> | 'ready') => {
      const task = this.running.get(w);
      this.running.delete(w);
      this.idle.push(w);
      w.unref();
      if (task && reply !== 'ready') {
        if ('error' in reply) {
          const { reason, file, offset, code } = reply.error;
          task.reject(new CfsError(reason, { file, offset, code }));
        } else {
          task.resolve(reply.result);
        }
      }
      this.dispatch();
    });
    w.on('error', (err) => {
      // a crashed worker is dropped; its task fails and a later job starts a new worker
      const task = this.running.get(w);
      this.running.delete(w);
      this.started--;
      task?.reject(err);
      // with no worker left (e.g. none could start), fail the queue instead of waiting forever
      if (this.started === 0) for (const t of this.queue.splice(0)) t.reject(err);
      this.dispatch();
    });
  }

  private dispatch(): void {
    while (this.queue.length > 0) {
      const w = this.idle.pop();
      if (!w) return;
      const task = this.queue.shift()!;
      this.running.set(w, task);
      w.ref();
      w.postMessage(task.job);
    }
  }
}

/**
 * The worker side: takes the parent's Wasm module, then answers each job with handle(job)'s
 * result (its `transfer` buffers moved, not copied) or the error, as a CfsError's fields.
 */
export function serveJobs<J, R>(handle: (job: J) => Promise<{ result: R; transfer?: ArrayBuffer[] }>): void {
  useModule(workerData.module as WebAssembly.Module);
  parentPort!.on('message', (job: J) => {
    handle(job).then(
      ({ result, transfer }) => parentPort!.postMessage({ result } satisfies JobReply<R>, transfer ?? []),
      (err: unknown) => {
        const e = err instanceof CfsError ? err : undefined;
        const reason = e?.reason ?? (err instanceof Error ? err.message : String(err));
        parentPort!.postMessage({ error: { reason, file: e?.file, offset: e?.offset, code: e?.code } } satisfies JobReply<R>);
      },
    );
  });
  parentPort!.postMessage('ready');
}
