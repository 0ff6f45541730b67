/**
 * The one error type cfskit throws for bad input or a failed operation.
 * It names where (file, line or byte offset), what (field) and why (reason),
 * so the CLI can print one clear line and exit non-zero.
 */
export interface ErrorPlace {
  /** The input file (or "-" for stdin) the problem is in. */
  file?: string;
  /** 1-based line number in a text input (dumpfile, keyfile, BLS entry). */
  line?: number;
  /** Byte offset in a binary input (image, tar, gvariant). */
  offset?: number;
  /** The field, entry or key at fault. */
  field?: string;
  /** A stable machine-readable code, e.g. "EDUMP", "EIMAGE", "ETAR". */
  code?: string;
}

export class CfsError extends Error {
  readonly file?: string;
  readonly line?: number;
  readonly offset?: number;
  readonly field?: string;
  readonly code: string;
  /** The bare reason, without the place prefix. */
  readonly reason: string;

  constructor(reason: string, place: ErrorPlace = {}, options?: { cause?: unknown }) {
    super(formatMessage(reason, place), options);
    this.name = 'CfsError';
    this.reason = reason;
    this.file = place.file;
    this.line = place.line;
    this.offset = place.offset;
    this.field = place.field;
    this.code = place.code ?? 'ECFS';
  }
}

/** Longest file name or field an error line prints (characters after escaping), then `...`. */
export const PLACE_PRINT_MAX = 256;
/** Longest reason an error line prints (characters after escaping), then `...`. */
export const REASON_PRINT_MAX = 1024;

const C_ESCAPES: Record<string, string> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' };

/**
 * Outside bytes made safe for one terminal line: C0 controls, DEL and C1 controls as the dumpfile
 * prints them (`\n`, `\r`, `\t`, `\xHH`), Unicode line separators and bidi overrides as `\u{HHHH}`
 * (so no input can start a line, move the cursor, colour or reorder the text), then cut to `max`
 * characters with `...`.
 */
export function printable(text: string, max: number): string {
  // eslint-disable-next-line no-control-regex
  const escaped = text.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029\u200e\u200f\u202a-\u202e\u2066-\u2069]/g, (c) => {
    const code = c.charCodeAt(0);
    return C_ESCAPES[c] ?? (code < 0x100 ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u{${code.toString(16)}}`);
  });
  return escaped.length > max ? `${escaped.slice(0, max)}...` : escaped;
}

/** strerror-style text of a Node system error ("ENOSPC: no space left on device, write" → "No space left on device"). */
function systemReason(e: NodeJS.ErrnoException): string {
  const m = /^[A-Z0-9_]+: ([^,]*)/.exec(e.message);
  const text = m ? m[1] : e.message;
  return text.charAt(0).toUpperCase() + text.slice(1);
}

/** True for an error a system call raised (it carries an errno code such as ENOSPC). */
export function isSystemError(e: unknown): e is NodeJS.ErrnoException {
  return e instanceof Error && typeof (e as NodeJS.ErrnoException).code === 'string' && typeof (e as NodeJS.ErrnoException).syscall === 'string';
}

/**
 * A failed system call (ENOSPC, EPIPE, EACCES, EROFS, EIO, ...) as one CfsError naming the path
 * the call names, else `path` (a write to a descriptor names none); a CfsError passes through;
 * anything else is undefined.
 */
export function ioError(e: unknown, path?: string | Buffer): CfsError | undefined {
  if (e instanceof CfsError) return e;
  if (!isSystemError(e)) return undefined;
  const where = e.path ?? path;
  const file = where === undefined ? undefined : Buffer.isBuffer(where) ? where.toString() : String(where);
  return new CfsError(systemReason(e), { file, code: e.code }, { cause: e });
}

/** Rethrows a system error of `fn` as ioError(e, path). */
export function naming<T>(path: string | Buffer, fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    throw ioError(e, path) ?? e;
  }
}

function formatMessage(rawReason: string, p: ErrorPlace): string {
  // a usage error's lines after the first are the command's own usage text, printed as they are
  const nl = p.code === 'EUSAGE' ? rawReason.indexOf('\n') : -1;
  const reason = nl < 0 ? printable(rawReason, REASON_PRINT_MAX) : printable(rawReason.slice(0, nl), REASON_PRINT_MAX) + rawReason.slice(nl);
  let where = p.file === undefined ? '' : printable(p.file, PLACE_PRINT_MAX);
  if (p.line !== undefined) where += `${where ? ':' : 'line '}${p.line}`;
  if (p.offset !== undefined) where += `${where ? ':' : ''}offset ${p.offset}`;
  const field = p.field ? `${printable(p.field, PLACE_PRINT_MAX)}: ` : '';
  return where ? `${where}: ${field}${reason}` : `${field}${reason}`;
}
