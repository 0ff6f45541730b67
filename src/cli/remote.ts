/**
 * `cfskit remote add|list|delete|refs --repo=PATH`: remotes in the repo's config, with the
 * options and messages of `ostree remote` (src/remote/config.ts).
 */
import { CfsError } from '../errors.js';
import { REMOTE_KEYS, addRemote, deleteRemote, hasRemote, listRemotes, readRemote } from '../remote/config.js';
import { remoteRefs } from '../pull/pull.js';
import { parsePublicKey, readKeysFile } from '../sign/ed25519.js';
import { parseCommand, positionals, repoOption } from './repo-args.js';

const USAGE = `Usage: cfskit remote add --repo=PATH [--if-not-exists] [--no-sign-verify] [--no-gpg-verify]
                         [--sign-verify=ed25519=inline:PUBKEY|ed25519=file:PATH]... [--set=KEY=VALUE]...
                         NAME URL [BRANCH...]
       cfskit remote list --repo=PATH [-u|--show-urls]
       cfskit remote delete --repo=PATH [--if-exists] NAME
       cfskit remote refs --repo=PATH NAME
`;

const usage = (reason: string) => new CfsError(`${reason}\n${USAGE}`, { code: 'EUSAGE' });

export async function run(args: string[]): Promise<number> {
  const [sub, ...rest] = args;
  if (sub === '--help' || sub === '-h') {
    process.stdout.write(USAGE);
    return 0;
  }
  switch (sub) {
    case 'add': return add(rest);
    case 'list': return list(rest);
    case 'delete': return remove(rest);
    case 'refs': return refs(rest);
    default: throw usage(sub ? `unknown remote subcommand '${sub}'` : 'a subcommand is required');
  }
}

async function add(args: string[]): Promise<number> {
  const p = parseCommand(args, {
    repo: { type: 'string' },
    'if-not-exists': { type: 'boolean' },
    'no-sign-verify': { type: 'boolean' },
    'no-gpg-verify': { type: 'boolean' },
    'sign-verify': { type: 'string', multiple: true },
    set: { type: 'string', multiple: true },
  }, USAGE);
  if (!p) return 0;
  if (p.positionals.length < 2) throw usage('NAME and URL are required');
  const [name, url, ...branches] = p.positionals;
  const repo = repoOption(p, USAGE);
  const signSpecs = (p.values['sign-verify'] as string[] | undefined) ?? [];
  if (p.values['no-sign-verify'] && signSpecs.length) throw usage('Cannot specify both --sign-verify and --no-sign-verify');
  if (hasRemote(repo, name) && p.values['if-not-exists']) return 0;
  // ostree remote add's order: branches, --set keys, gpg-verify, sign-verify, verification keys
  const options: [string, string][] = [];
  if (branches.length) options.push([REMOTE_KEYS.branches, `${branches.join(';')};`]);
  for (const kv of (p.values.set as string[] | undefined) ?? []) {
    const eq = kv.indexOf('=');
    if (eq <= 0) throw usage(`--set needs KEY=VALUE, got '${kv}'`);
    options.push([kv.slice(0, eq), kv.slice(eq + 1)]);
  }
  if (p.values['no-gpg-verify'] || p.values['no-sign-verify'] || signSpecs.length) options.push([REMOTE_KEYS.gpgVerify, 'false']);
  if (p.values['no-sign-verify']) options.push([REMOTE_KEYS.signVerify, 'false']);
  if (signSpecs.length) options.push([REMOTE_KEYS.signVerify, 'true']);
  for (const spec of signSpecs) options.push(signOption(spec));
  addRemote(repo, name, url, options);
  return 0;
}

/** `ed25519=inline:PUBKEY` → verification-ed25519-key, `ed25519=file:PATH` → verification-ed25519-file. */
function signOption(spec: string): [string, string] {
  const m = /^([^=]+)=(inline|file):(.+)$/.exec(spec);
  if (!m) throw usage(`Failed to parse KEYTYPE=[inline|file]:DATA in ${spec}`);
  if (m[1] !== 'ed25519') throw usage(`Requested signature type is not implemented: '${m[1]}' (cfskit verifies ed25519)`);
  if (m[2] === 'inline') {
    parsePublicKey(m[3]);
    return [REMOTE_KEYS.ed25519Key, m[3]];
  }
  readKeysFile(m[3]).forEach(parsePublicKey);
  return [REMOTE_KEYS.ed25519File, m[3]];
}

async function list(args: string[]): Promise<number> {
  const p = parseCommand(args, { repo: { type: 'string' }, 'show-urls': { type: 'boolean', short: 'u' } }, USAGE);
  if (!p) return 0;
  positionals(p, 0, USAGE);
  const repo = repoOption(p, USAGE);
  const names = listRemotes(repo);
  const width = Math.max(0, ...names.map((n) => n.length));
  for (const n of names) process.stdout.write(p.values['show-urls'] ? `${n.padEnd(width)}  ${readRemote(repo, n).url}\n` : `${n}\n`);
  return 0;
}

async function remove(args: string[]): Promise<number> {
  const p = parseCommand(args, { repo: { type: 'string' }, 'if-exists': { type: 'boolean' } }, USAGE);
  if (!p) return 0;
  const [name] = positionals(p, 1, USAGE);
  const repo = repoOption(p, USAGE);
  if (!hasRemote(repo, name) && p.values['if-exists']) return 0;
  deleteRemote(repo, name);
  return 0;
}

async function refs(args: string[]): Promise<number> {
  const p = parseCommand(args, { repo: { type: 'string' } }, USAGE);
  if (!p) return 0;
  const [name] = positionals(p, 1, USAGE);
  for (const ref of [...(await remoteRefs(repoOption(p, USAGE), name)).keys()].sort()) process.stdout.write(`${name}:${ref}\n`);
  return 0;
}
