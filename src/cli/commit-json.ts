/** A commit as `--json` prints it (log, show): the fields `ostree show` prints, metadata in GVariant text. */
import { contentChecksum, type Commit } from '../ostree/formats.js';
import { printVariant } from '../formats/gvariant-text.js';

export interface CommitJson {
  checksum: string;
  parent: string | null;
  contentChecksum: string;
  /** Seconds since the Unix epoch, UTC. */
  timestamp: number;
  subject: string;
  body: string;
  /** Each metadata key with its value in GVariant text (as show --print-metadata-key prints it). */
  metadata: Record<string, string>;
}

export function commitJson(checksum: string, c: Commit): CommitJson {
  return {
    checksum,
    parent: c.parent,
    contentChecksum: contentChecksum(c),
    timestamp: Number(c.timestamp),
    subject: c.subject,
    body: c.body,
    metadata: Object.fromEntries(c.metadata.map(([key, v]) => [key, printVariant(v.type, v.value)])),
  };
}

/** `value` as indented JSON and a newline (the layout of admin status --json). */
export const jsonText = (value: unknown): string => `${JSON.stringify(value, null, 2)}\n`;
