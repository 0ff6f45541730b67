/**
 * `cfskit remote add|list|delete|refs --repo=PATH`: remotes in the repo's config, with the
 * options and messages of `ostree remote` (src/remote/config.ts).
 */
import { CfsError } from '../errors.js';
import { REMOTE_KEYS, addRemote, deleteRemote, hasRemote, listRemotes, readRemote } from '../remote/config.js';
import { remoteRefs } from '../pull/pull.js';
import { parsePublicKey, readKeysFile } from '../sign/ed25519.js';
import type { VerbSpec } from './args.js';
import { jsonText } from './commit-json.js';
import { type Parsed, positionals, parseCommand, repoOption } from './repo-args.js';

export const spec: VerbSpec = {
  name: 'remote',
  synopsis: [
    'add --repo=PATH [OPTIONS] NAME URL [BRANCH...]',
    'list --repo=PATH [-u|--show-urls] [--json]',
    'delete --repo=PATH [--if-exists] NAME',
    'refs --repo=PATH NAME',
  ],
  description: `Manage the remotes of the repository's config, as ostree remote does.

Commands:
  add     add remote NAME at URL (BRANCH...: the branches it offers)
  list    the remote names, one a line
  delete  remove remote NAME
  refs    the refs remote NAME's summary lists, as NAME:REF`,
  options: {
    repo: { type: 'string', value: 'PATH', help: 'the repository (required)' },
    'if-not-exists': { type: 'boolean', help: 'add: do nothing if NAME exists' },
    'no-sign-verify': { type: 'boolean', help: 'add: do not require signatures on the commits pulled' },
    'no-gpg-verify': { type: 'boolean', help: 'add: do not require GPG signatures (cfskit verifies ed25519 only)' },
    'sign-verify': { type: 'string', multiple: true, value: 'ed25519=inline:PUBKEY|ed25519=file:PATH', help: 'add: require ed25519 signatures by this key (or by the keys of this file)' },
    set: { type: 'string', multiple: true, value: 'KEY=VALUE', help: 'add: set this option of the remote' },
    'show-urls': { type: 'boolean', short: 'u', help: 'list: the URL after each name' },
    json: { type: 'boolean', help: 'list: an object of remote name to URL as JSON' },
    'if-exists': { type: 'boolean', help: 'delete: do nothing if NAME does not exist' },
  },
};

/** Each subcommand and the options it takes (besides --repo). */
const SUBCOMMANDS: Record<string, { options: string[]; run: (p: Parsed) => Promise<number> }> = {
  add: { options: ['if-not-exists', 'no-sign-verify', 'no-gpg-verify', 'sign-verify', 'set'], run: add },
  list: { options: ['show-urls', 'json'], run: list },
  delete: { options: ['if-exists'], run: remove },
  refs: { options: [], run: refs },
};

const usage = (reason: string) => new CfsError(reason, { code: 'EUSAGE' });

export async function run(args: string[]): Promise<number> {
  const p = parseCommand(args, spec.options, spec);
  if (!p) return 0;
  const sub = p.positionals.shift();
  if (sub === undefined) throw usage('a subcommand is required: add, list, delete or refs');
  const command = SUBCOMMANDS[sub];
  if (!command) throw usage(`unknown remote subcommand '${sub}'`);
  for (const name of Object.keys(p.values)) if (name !== 'repo' && !command.options.includes(name)) throw usage(`--${name} does not apply to ${sub}`);
  return command.run(p);
}

async function add(p: Parsed): Promise<number> {
  if (p.positionals.length < 2) throw usage('NAME and URL are required');
  const [name, url, ...branches] = p.positionals;
  const repo = repoOption(p);
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
  for (const given of signSpecs) options.push(signOption(given));
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

async function list(p: Parsed): Promise<number> {
  positionals(p, 0);
  const repo = repoOption(p);
  const names = listRemotes(repo);
  if (p.values.json) {
    process.stdout.write(jsonText(Object.fromEntries(names.map((n) => [n, readRemote(repo, n).url]))));
    return 0;
  }
  const width = Math.max(0, ...names.map((n) => n.length));
  for (const n of names) process.stdout.write(p.values['show-urls'] ? `${n.padEnd(width)}  ${readRemote(repo, n).url}\n` : `${n}\n`);
  return 0;
}

async function remove(p: Parsed): Promise<number> {
  const [name] = positionals(p, 1);
  const repo = repoOption(p);
  if (!hasRemote(repo, name) && p.values['if-exists']) return 0;
  deleteRemote(repo, name);
  return 0;
}

async function refs(p: Parsed): Promise<number> {
  const [name] = positionals(p, 1);
  for (const ref of [...(await remoteRefs(repoOption(p), name)).keys()].sort()) process.stdout.write(`${name}:${ref}\n`);
  return 0;
}
