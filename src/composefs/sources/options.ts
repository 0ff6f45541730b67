/** Options shared by the image sources (directory, tar layers, OCI layout). */
import type { ObjectStore } from '../../store/objects.js';

/** Receives import progress; the CLI draws it (src/cli/progress.ts), library callers may omit it. */
export interface ProgressSink {
  /** Total bytes expected, when known (directory size sum, compressed archive sizes). */
  setTotal(bytes: number): void;
  /** `files` more entries done and `bytes` more bytes consumed. */
  advance(files: number, bytes: number): void;
}

export interface SourceOptions {
  /** Copy every external file into this store (`--digest-store`); without it content is only hashed. */
  store?: ObjectStore | null;
  /** Directory source: files sharing st_dev/st_ino become one inode (default: C 1.0.8's one inode per path). */
  preserveHardlinks?: boolean;
  /** Directory source: leave out block and character devices (`mkcomposefs --skip-devices`). */
  skipDevices?: boolean;
  /** Directory source: threads reading and hashing files (default: available parallelism; 1: this thread only). */
  threads?: number;
  progress?: ProgressSink;
  /** Directory source: the platform whose metadata rules apply (default: this process's; see host-modes.ts). */
  platform?: NodeJS.Platform;
  /** Directory source: receives the warning that modes are not real (default: one line on stderr). */
  warn?: (message: string) => void;
}
