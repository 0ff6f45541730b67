/**
 * Runs the CLI in this process (spawning node per case is slow): `main(argv)` of src/cli/main.ts
 * with stdout and stderr captured. An exception out of main is what the entry point reports as an
 * internal error (exit 70).
 */
export interface CliResult {
  status: number;
  stdout: string;
  stderr: string;
  /** The exception main let through (an internal error), if any. */
  internal?: unknown;
}

type Main = (argv: string[]) => Promise<number>;
let loaded: Promise<{ main: Main; commands: Record<string, unknown> }> | undefined;

type Write = typeof process.stdout.write;

function capture<T>(fn: () => Promise<T>): Promise<{ value?: T; error?: unknown; stdout: string; stderr: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const saved = [process.stdout.write, process.stderr.write];
  const sink = (to: string[]): Write =>
    ((chunk: string | Uint8Array, enc?: unknown, cb?: unknown) => {
      to.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8'));
      const done = typeof enc === 'function' ? enc : cb;
      if (typeof done === 'function') process.nextTick(done as () => void);
      return true;
    }) as Write;
  process.stdout.write = sink(out);
  process.stderr.write = sink(err);
  const restore = () => {
    [process.stdout.write, process.stderr.write] = saved;
  };
  return fn().then(
    (value) => (restore(), { value, stdout: out.join(''), stderr: err.join('') }),
    (error) => (restore(), { error, stdout: out.join(''), stderr: err.join('') }),
  );
}

/** The CLI module; its entry point runs once on import, here as `--version` (output dropped). */
export function cliModule(): Promise<{ main: Main; commands: Record<string, unknown> }> {
  loaded ??= capture(async () => {
    const argv = process.argv;
    process.argv = [argv[0], 'cfskit', '--version'];
    try {
      return await import('../../src/cli/main.js');
    } finally {
      process.argv = argv;
    }
  }).then((r) => {
    if (r.error) throw r.error;
    return r.value as { main: Main; commands: Record<string, unknown> };
  });
  return loaded;
}

export async function runCli(argv: string[]): Promise<CliResult> {
  const { main } = await cliModule();
  const r = await capture(() => main(argv));
  process.exitCode = undefined;
  return r.error === undefined ? { status: r.value!, stdout: r.stdout, stderr: r.stderr } : { status: 70, stdout: r.stdout, stderr: r.stderr, internal: r.error };
}
