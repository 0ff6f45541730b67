/**
 * Progress on a terminal. `createProgress`: a bar for work of known size (cli-progress): entries
 * done, bytes, rate and an ETA from the mean rate ("--:--" until it means something).
 * `withActivity`: a one-line elapsed-time indicator for work that reports no progress. Nothing is
 * drawn when stderr is not a TTY or with --quiet.
 */
import { createRequire } from 'node:module';
import type { ProgressSink } from '../composefs/sources/options.js';

const MIB = 1024 * 1024;

export interface CliProgress extends ProgressSink {
  stop(): void;
}

interface DrawOptions {
  quiet?: boolean;
  stream?: NodeJS.WriteStream;
}

/** `m:ss` (or `h:mm:ss`) of a second count. */
export function clock(seconds: number): string {
  const s = Math.round(seconds);
  const mmss = `${Math.floor((s % 3600) / 60)}:${String(s % 60).padStart(2, '0')}`;
  return s >= 3600 ? `${Math.floor(s / 3600)}:${mmss.padStart(5, '0')}` : mmss;
}

/** Seconds left at the mean rate so far, as `m:ss`; "--:--" without a total or a second of history. */
export function eta(done: number, total: number, elapsedMs: number): string {
  if (total <= 0 || done <= 0 || elapsedMs < 1000 || done >= total) return done >= total && total > 0 ? '0:00' : '--:--';
  return clock(((total - done) * elapsedMs) / done / 1000);
}

export function createProgress(opts: DrawOptions = {}): CliProgress | undefined {
  const stream = opts.stream ?? process.stderr;
  if (opts.quiet || !stream.isTTY) return undefined;
  // cli-progress (CommonJS) is required only when a bar is drawn: loading it costs ~25 ms.
  const { SingleBar } = createRequire(import.meta.url)('cli-progress') as typeof import('cli-progress');
  const bar = new SingleBar({
    stream,
    format: ' {bar} {percentage}% | {files} files | {done}/{all} MiB | {rate} MiB/s | ETA {left}',
    hideCursor: true,
    clearOnComplete: true,
    fps: 5,
  });
  const started = Date.now();
  let files = 0;
  let bytes = 0;
  let total = 0;
  let running = false;
  const payload = () => ({
    files,
    done: (bytes / MIB).toFixed(1),
    all: total ? (total / MIB).toFixed(1) : '?',
    rate: (bytes / MIB / Math.max((Date.now() - started) / 1000, 0.001)).toFixed(1),
    left: eta(bytes, total, Date.now() - started),
  });
  const ensure = (): void => {
    if (running) return;
    running = true;
    bar.start(Math.max(total, 1), 0, payload());
  };
  return {
    setTotal(n) {
      total = n;
      ensure();
      bar.setTotal(Math.max(n, bytes, 1));
    },
    advance(f, b) {
      files += f;
      bytes += b;
      ensure();
      if (bytes > total) bar.setTotal(bytes);
      bar.update(bytes, payload());
    },
    stop() {
      if (running) bar.stop();
      running = false;
    },
  };
}

/** Runs `fn` with "LABEL... m:ss" redrawn every second on a TTY, erased when it ends. */
export async function withActivity<T>(label: string, fn: () => Promise<T>, opts: DrawOptions = {}): Promise<T> {
  const stream = opts.stream ?? process.stderr;
  if (opts.quiet || !stream.isTTY) return fn();
  const started = Date.now();
  const draw = () => stream.write(`\r${label}... ${clock((Date.now() - started) / 1000)}\x1b[K`);
  draw();
  const timer = setInterval(draw, 1000);
  try {
    return await fn();
  } finally {
    clearInterval(timer);
    stream.write('\r\x1b[K');
  }
}
