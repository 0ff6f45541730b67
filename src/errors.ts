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

function formatMessage(reason: string, p: ErrorPlace): string {
  let where = p.file ?? '';
  if (p.line !== undefined) where += `${where ? ':' : 'line '}${p.line}`;
  if (p.offset !== undefined) where += `${where ? ':' : ''}offset ${p.offset}`;
  const field = p.field ? `${p.field}: ` : '';
  return where ? `${where}: ${field}${reason}` : `${field}${reason}`;
}
