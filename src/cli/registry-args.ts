/**
 * The registry flags shared by the commands that take a `docker://` source (skopeo's names):
 * `--tls-verify=BOOL`, `--authfile=FILE`, `--creds=USER:PASS`, `--platform=OS/ARCH[/VARIANT]`,
 * and the per-blob download progress drawn on a terminal.
 */
import { MultiBar, Presets } from 'cli-progress';
import { CfsError } from '../errors.js';
import type { PullProgress, RegistryOptions } from '../composefs/sources/options.js';


/** RegistryOptions from the flags (`get` returns a flag's value); progress on a TTY unless quiet. */
export function registryOptions(get: (name: string) => string | undefined, quiet = false): RegistryOptions {
  const tls = get('tls-verify');
  if (tls !== undefined && tls !== 'true' && tls !== 'false') throw new CfsError(`takes true or false, got '${tls}'`, { field: '--tls-verify', code: 'EUSAGE' });
  return {
    tlsVerify: tls !== 'false',
    authfile: get('authfile'),
    creds: get('creds'),
    platform: get('platform'),
    pullProgress: quiet ? undefined : pullProgress(),
  };
}

/** One bar per blob being fetched, on stderr when it is a terminal; undefined otherwise. */
export function pullProgress(stream: NodeJS.WriteStream = process.stderr): PullProgress | undefined {
  if (!stream.isTTY) return undefined;
  const bars = new MultiBar({ stream, format: ' {name} {bar} {percentage}% | {value}/{total} bytes', barsize: 20, hideCursor: true, clearOnComplete: false, fps: 5 }, Presets.shades_classic);
  return {
    blob(digest, size) {
      const bar = bars.create(Math.max(size, 1), 0, { name: `Copying blob ${digest.slice(7, 19)}` });
      return { advance: (n) => bar.increment(n), done: () => bar.update(Math.max(size, 1)) };
    },
    stop: () => bars.stop(),
  };
}
