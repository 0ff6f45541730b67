/**
 * Import progress on a terminal (cli-progress): entries done, bytes, rate and ETA. Nothing is
 * drawn when stderr is not a TTY or with --quiet (then `createProgress` returns undefined).
 */
import { SingleBar } from 'cli-progress';
import type { ProgressSink } from '../composefs/sources/options.js';

const MIB = 1024 * 1024;

export interface CliProgress extends ProgressSink {
  stop(): void;
}

export function createProgress(opts: { quiet?: boolean; stream?: NodeJS.WriteStream } = {}): CliProgress | undefined {
  const stream = opts.stream ?? process.stderr;
  if (opts.quiet || !stream.isTTY) return undefined;
  const bar = new SingleBar({
    stream,
    format: ' {bar} {percentage}% | {files} files | {done}/{all} MiB | {rate} MiB/s | ETA {eta_formatted}',
    hideCursor: true,
    clearOnComplete: true,
    etaBuffer: 50,
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
