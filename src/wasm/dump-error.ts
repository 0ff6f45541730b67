/**
 * The errors of the dumpfile parsers, as C mkcomposefs words them (spec composefs-image.md §3.5):
 * one message per reason of dump-reasons.ts, for the TypeScript parser and for the Wasm parser's
 * failure record alike.
 */
import { CfsError } from '../errors.js';
import * as R from './dump-reasons.js';

/** Names of the fixed fields and the xattrs, by their code. */
const FIELD_NAMES = ['PATH', 'SIZE', 'MODE', 'NLINK', 'UID', 'GID', 'RDEV', 'MTIME', 'PAYLOAD', 'CONTENT', 'DIGEST', 'XATTRS'];

/** What a refusal quotes: up to two numbers and one byte string of the input (a field, path or key). */
export interface DumpQuote {
  a?: number | bigint;
  b?: number | bigint;
  bytes?: Uint8Array;
}

const decoder = new TextDecoder('utf-8');

type Wording = string | ((a: number | bigint, b: number | bigint, text: string) => string);

const MESSAGES: Record<number, Wording> = {
  [R.DUMP_EMBEDDED_NUL]: (a) => `Invalid embedded NUL character at position ${a}`,
  [R.DUMP_EMPTY_PATH]: 'Invalid empty path',
  [R.DUMP_INVALID_INTEGER]: (_a, _b, t) => `Invalid integer ${t}`,
  [R.DUMP_INVALID_MODE]: (a) => `Invalid mode ${a.toString(8)}`,
  [R.DUMP_ROOT_NOT_DIRECTORY]: 'Root must be a directory',
  [R.DUMP_MULTIPLE_ROOTS]: "Can't have multiple roots",
  [R.DUMP_NO_ROOT]: 'Root node not present',
  [R.DUMP_PARENT_MISSING]: (_a, _b, t) => `Parent directory missing for ${t}`,
  [R.DUMP_PARENT_NOT_DIRECTORY]: (_a, _b, t) => `Parent must be a directory for ${t}`,
  [R.DUMP_DOT_NAME]: (_a, _b, t) => `Invalid . or .. in path: ${t}`,
  [R.DUMP_CANNOT_ADD_CHILD]: "Can't add child",
  [R.DUMP_DIRECTORY_HARDLINK]: "Directories can't be hardlinked",
  [R.DUMP_CONTENT_SIZE]: (a, b) => `Invalid content size ${a}, must match size ${b}`,
  [R.DUMP_DEVNUM]: 'Non-zero devnum on non-device',
  [R.DUMP_INVALID_SYMLINK]: 'Invalid symlink',
  [R.DUMP_SYMLINK_SIZE]: (a, b) => `Invalid symlink size ${a}, must match size ${b}`,
  [R.DUMP_SYMLINK_CONTENT]: 'Symlink cannot have content',
  [R.DUMP_INVALID_PAYLOAD]: 'Invalid payload',
  [R.DUMP_INLINE_TOO_LARGE]: (a, b) => `Inline content size ${a} exceeds maximum ${b}`,
  [R.DUMP_TOO_MANY_XATTRS]: 'Too many xattrs',
  [R.DUMP_MISSING_EQUALS]: 'Missing = in xattr',
  [R.DUMP_CANNOT_SET_XATTR]: "Can't set xattr",
  [R.DUMP_NO_CHARACTER_AFTER_ESCAPE]: 'No character after escape',
  [R.DUMP_NO_HEX_AFTER_ESCAPE]: 'No hex characters after hex escape',
  [R.DUMP_INVALID_HEX_ESCAPE]: 'Invalid hex characters after hex escape',
  [R.DUMP_UNSUPPORTED_ESCAPE]: (a) => `Unsupported escape type ${String.fromCharCode(Number(a))}`,
  [R.DUMP_MISSING_NEWLINE]: 'Missing trailing newline',
  [R.DUMP_NO_FILES]: 'No files in dump file',
  [R.DUMP_NO_LINK_TARGET]: 'No target path for the hardlink',
  [R.DUMP_LINK_TARGET_MISSING]: (_a, _b, t) => `No target at ${t} for hardlink`,
  [R.DUMP_SELF_LINK]: (_a, _b, t) => `Self-referential hardlink ${t}`,
};

/** The message of `reason` (a DUMP_* code), quoting `q`. */
export function dumpMessage(reason: number, q: DumpQuote = {}): string {
  const w = MESSAGES[reason];
  if (w === undefined) throw new Error(`internal error: unknown dumpfile refusal ${reason}`);
  return typeof w === 'string' ? w : w(q.a ?? 0, q.b ?? 0, q.bytes ? decoder.decode(q.bytes) : '');
}

/** The name of field code `field` (F_*), undefined for F_NONE; an xattr is named by its key, `q.bytes`. */
export function dumpField(field: number, q: DumpQuote = {}): string | undefined {
  if (field === R.F_XATTR_KEY) return `xattr ${q.bytes ? decoder.decode(q.bytes) : ''}`;
  return field === R.F_NONE ? undefined : FIELD_NAMES[field];
}

/** Where a refusal is: the input's name and its 1-based line (0 or absent: the whole input). */
export interface DumpPlace {
  file?: string;
  line?: number;
}

/** A refused dumpfile as the CfsError (code EDUMP) either parser throws. */
export function dumpError(reason: number, place: DumpPlace, field: number, q: DumpQuote = {}): CfsError {
  return new CfsError(dumpMessage(reason, q), { file: place.file, line: place.line || undefined, field: dumpField(field, q), code: 'EDUMP' });
}
