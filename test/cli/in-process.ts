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

/** Every verb's option table, by its words after `cfskit` ("commit", "admin deploy"); a verb without one fails. */
export async function verbSpecs(): Promise<Map<string, import('../../src/cli/args.js').VerbSpec>> {
  const { commands } = await cliModule();
  const { subcommands } = await import('../../src/cli/admin.js');
  const out = new Map<string, import('../../src/cli/args.js').VerbSpec>();
  const add = async (name: string, load: () => Promise<unknown>) => {
    const spec = ((await load()) as { spec?: import('../../src/cli/args.js').VerbSpec }).spec;
    if (!spec) throw new Error(`${name}: its module exports no \`spec\` (src/cli/args.ts VerbSpec)`);
    out.set(name, spec);
  };
  for (const [name, c] of Object.entries(commands as Record<string, { load: () => Promise<unknown> }>)) if (name !== 'admin') await add(name, c.load);
  for (const [name, c] of Object.entries(subcommands)) await add(`admin ${name}`, c.load);
  return out;
}
