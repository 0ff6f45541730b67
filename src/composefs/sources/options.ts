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

/** A `docker://` source (src/registry/): how to reach the registry and where blobs are cached. */
export interface RegistryOptions {
  /** `--tls-verify=false`: no certificate check, plain HTTP allowed (default true). */
  tlsVerify?: boolean;
  /** `--authfile=FILE`. */
  authfile?: string;
  /** `--creds=USER:PASS`. */
  creds?: string;
  /** `--platform=OS/ARCH[/VARIANT]` of an index (default linux and the host's arch). */
  platform?: string;
  /** The blob cache directory (a repo's `cfs/oci`); without it a temporary one is removed after the build. */
  cacheDir?: string;
  /** The caller holds the lock that guards `cacheDir` (its `tmp/` may be emptied). */
  cacheLocked?: boolean;
  /** Idle time after which a request fails (default 30 s), and retries of transient failures (default 4). */
  timeoutMs?: number;
  retries?: number;
  /** Per-blob download progress (the CLI draws it on a terminal). */
  pullProgress?: PullProgress;
  /** Told what was pulled: the canonical reference and the digests to record. */
  onPulled?: (p: { reference: string; manifestDigest: string; indexDigest?: string; fetchedBlobs: number; fetchedBytes: number }) => void;
}

/** Download progress of a pull, one line per blob. */
export interface PullProgress {
  blob(digest: string, size: number): { advance(bytes: number): void; done(): void };
  stop(): void;
}
