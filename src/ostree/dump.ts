/**
 * Commit text as the ostree 2022.7 CLI prints it in `log` and `show` (spec ostree.md §2.13),
 * plus a `Composefs:` line naming the image of a stub commit.
 */
import { CfsError } from '../errors.js';
import { lookup } from '../formats/gvariant.js';
import { contentChecksum, type Commit } from './formats.js';
import { toHex } from './objects.js';
import { META } from './commit.js';

/** GDateTime's range: years 1..9999 (out of range: "Invalid timestamp"). */
const MAX_TIMESTAMP = 253402300799n;

export function formatCommit(checksum: string, c: Commit): string {
  let out = `commit ${checksum}\n`;
  if (c.parent) out += `Parent:  ${c.parent}\n`;
  out += `ContentChecksum:  ${contentChecksum(c)}\n`;
  out += `Date:  ${formatTimestamp(c.timestamp)}\n`;
  const version = lookup(c.metadata, META.version);
  if (version?.type === 's') out += `Version: ${version.value as string}\n`;
  const digest = lookup(c.metadata, META.composefsDigest);
  if (digest?.type === 'ay') out += `Composefs:  ${toHex(digest.value as Uint8Array)}\n`;
  out += c.subject ? `\n${indent(c.subject)}` : '(no subject)\n';
  if (c.body) out += `\n${indent(c.body)}`;
  return `${out}\n`;
}

/** dump_indented_lines: every line prefixed with four spaces; a final empty line is dropped. */
function indent(text: string): string {
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  return lines.map((l) => `    ${l}\n`).join('');
}

function formatTimestamp(ts: bigint): string {
  if (ts > MAX_TIMESTAMP) throw new CfsError(`Invalid timestamp: ${ts}`, { field: 'timestamp', code: 'ECOMMIT' });
  const iso = new Date(Number(ts) * 1000).toISOString();
  return `${iso.slice(0, 10)} ${iso.slice(11, 19)} +0000`;
}
