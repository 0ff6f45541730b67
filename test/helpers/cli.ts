/**
 * The cfskit CLI for tests, three ways: in this process (`runCli`: `main(argv)` of
 * src/cli/main.ts with stdout and stderr captured, fast for many cases), or as a child process
 * from the sources through tsx (`cfskit`, `cfskitSpawn`, `cfskitAsync`), or from the compiled
 * dist/ (`runner: 'dist'`, what an installed cfskit runs).
 */
import { spawn, spawnSync, type ChildProcess, type SpawnOptions, type SpawnSyncOptionsWithBufferEncoding, type SpawnSyncOptionsWithStringEncoding, type SpawnSyncReturns } from 'node:child_process';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

const REPO = resolve(import.meta.dirname, '../..');
/** What `node --import tsx` loads. */
const TSX_LOADER = pathToFileURL(join(REPO, 'node_modules/tsx/dist/loader.mjs')).href;

/** Where a child cfskit runs from: the sources through tsx, or the compiled dist/ (`npm run build`). */
export type Runner = 'tsx' | 'dist';

/** node's arguments that start cfskit, before cfskit's own (absolute, so any cwd works). */
export function cliArgv(runner: Runner = 'tsx'): string[] {
  return runner === 'tsx' ? ['--import', TSX_LOADER, join(REPO, 'src/cli/main.ts')] : [join(REPO, 'dist/cli/main.js')];
}

interface Runs {
  runner?: Runner;
}

/** `cfskit ARGS` as a child process, waited for: stdout and stderr as text, or Buffers with `encoding: 'buffer'`. */
export function cfskit(args: string[], opts?: Omit<SpawnSyncOptionsWithStringEncoding, 'encoding'> & Runs): SpawnSyncReturns<string>;
export function cfskit(args: string[], opts: SpawnSyncOptionsWithBufferEncoding & Runs): SpawnSyncReturns<Buffer>;
export function cfskit(args: string[], opts: (SpawnSyncOptionsWithBufferEncoding | Omit<SpawnSyncOptionsWithStringEncoding, 'encoding'>) & Runs = {}): SpawnSyncReturns<string | Buffer> {
  const { runner, ...options } = opts;
  return spawnSync(process.execPath, [...cliArgv(runner), ...args], { encoding: 'utf8', maxBuffer: 1 << 28, ...options });
}

/** `cfskit ARGS` as a child process not waited for (to race or kill it). */
export function cfskitSpawn(args: string[], opts: SpawnOptions & Runs = {}): ChildProcess {
  const { runner, ...options } = opts;
  return spawn(process.execPath, [...cliArgv(runner), ...args], options);
}

/** `cfskit ARGS` without blocking this process's event loop (for servers running in the test process). */
export function cfskitAsync(args: string[], opts: SpawnOptions & Runs = {}): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((done) => {
    const child = cfskitSpawn(args, opts);
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (c) => (stdout += c));
    child.stderr!.on('data', (c) => (stderr += c));
    child.on('close', (status) => done({ status, stdout, stderr }));
  });
}

/** What `runCli` saw. An exception out of main is what the entry point reports as an internal error (exit 70). */
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

/** `cfskit ARGV` in this process. */
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
