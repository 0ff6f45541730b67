/**
 * The one error type cfskit throws for bad input or a failed operation.
 * It names where (file, line or byte offset), what (field) and why (reason),
 * so the CLI can print one clear line and exit non-zero.
 */
/** Where a refusal is (file, line or byte offset, field) and its code. */
export interface ErrorPlace {
  /** The input file (or "-" for stdin) the problem is in. */
  file?: string;
  /** 1-based line number in a text input (dumpfile, keyfile, BLS entry). */
  line?: number;
  /** Byte offset in a binary input (image, tar, gvariant). */
  offset?: number;
  /** The field, entry or key at fault. */
  field?: string;
  /** A stable machine-readable code (`CfsErrorCode`), e.g. "EDUMP", "EIMAGE", "ETAR". */
  code?: CfsErrorCode;
}

/**
 * cfskit's own error codes, each with its meaning (docs/API.md lists them from here; a test keeps
 * the two equal).
 */
export const CFS_ERROR_CODES = {
  ECFS: 'no more specific code applies',
  EUSAGE: 'a refused command line: unknown verb or option, missing or extra argument (exit 2)',
  EARG: 'an option value out of range (fs-verity hash algorithm, block size, salt)',
  EDUMP: 'a dumpfile line refused: line, field and reason',
  EOVERRIDE: 'an --overrides file refused (unreadable, too large, a bad line)',
  ETREE: 'a tree node over a limit the image format sets (name, size, xattr budget)',
  EIMAGE: 'a composefs/EROFS image refused by the bounded reader: offset and field',
  EWASM: 'the Wasm core is missing (run `npm run build`) or this engine cannot compile it (no WebAssembly SIMD)',
  EDIR: 'a directory source is missing or not a directory',
  ETAR: 'a tar layer refused: truncated, bad header, bad whiteout, over a limit',
  EOCI: 'an OCI image layout refused: index, manifest, config or blob',
  ECHANGED: 'a file changed while it was being read',
  EDIGEST: 'an fs-verity or content digest differs from the one expected',
  ESIZE: 'an object\'s size differs from the one expected',
  EOBJECT: 'an ostree or cfs/ object is missing, malformed, a symlink or too large',
  EBACKING: 'an image names a backing path that is not the object path of its digest',
  EGVARIANT: 'a GVariant value refused (not in normal form, bad offsets, wrong type)',
  EREPO: 'not an ostree repository, or an unsupported repository mode',
  EREF: 'an invalid ref name, or a ref file that does not hold a checksum',
  EREV: 'a revision that names no commit, or an ambiguous checksum prefix',
  ECOMMIT: 'a stub commit that cannot be written (bad digest, missing backing objects)',
  ENOTSTUB: 'a commit that is not a composefs stub commit (no ostree.composefs.digest.v0)',
  ECFSSTORE: 'the cfs/ store\'s meta.json is missing, invalid or of another version',
  EPRUNE: 'prune refused before deleting anything: a reachable object cannot be read',
  ESUMMARY: 'a summary file refused (too large, malformed)',
  ENOKEY: 'a metadata key that the commit does not hold',
  ESIGN: 'an ed25519 key, signature or keys file refused, or a signature that does not verify',
  EREMOTE: 'a remote that is not configured, or that has no summary or branches',
  EFETCH: 'an HTTP transfer that failed after its retries, or a body over its size cap',
  ECHECKSUM: 'fetched content whose SHA-256 differs from its object name',
  EREFBINDING: 'a pulled commit bound to other refs than the one pulled',
  EREFERENCE: 'a docker:// reference refused',
  EREGISTRY: 'a registry answer refused (HTTP status, redirects)',
  ENET: 'a registry that cannot be reached (network error after retries, TLS refused)',
  EAUTH: 'registry credentials refused or an auth file that cannot be read',
  EPLATFORM: 'no image for the requested platform in an image index',
  ELOCKED: 'the repo or sysroot lock is held by another cfskit (timeout, or another host)',
  ESYMLINK: 'a symbolic link cannot be created (Windows without Developer Mode)',
  EKEYFILE: 'a GLib keyfile (origin, repo config) refused',
  EBLS: 'a BLS boot entry refused (bad key, a line break in a value)',
  EKARGS: 'a kernel argument to delete or replace that is not there',
  ECPIO: 'a newc cpio archive refused, or a value that does not fit its header',
  EEXTENSION: 'an initramfs extension refused (malformed, too large)',
  ESYSROOT: 'not an ostree sysroot, or a deployment list operation that cannot apply',
  EDEPLOY: 'a commit or image that cannot be deployed (no kernel, /etc and /usr/etc both present)',
  ENODEPLOY: 'nothing deployed (admin verify)',
  EETCMERGE: 'the /etc 3-way merge cannot apply a change',
  EETCATTRS: 'the /etc attribute sidecar refused (bad line, bad escape)',
  EORIGIN: 'a deployment origin file that names nothing cfskit can update from',
  EUPGRADE: 'admin upgrade or switch with nothing to upgrade',
} as const;

/**
 * The errno codes of failed system calls that cfskit passes on (from Node, as `ioError` words
 * them, or from the image writer as C mkcomposefs reports them), each with its meaning. Any other
 * errno is reported as `ESYSCALL`, the original error in `cause`.
 */
export const ERRNO_CODES = {
  ENOENT: 'no such file or directory',
  EEXIST: 'the file exists',
  ENOTDIR: 'a path component, or an argument that must be a directory, is not one',
  EISDIR: 'a file was expected and a directory found',
  ENOTEMPTY: 'the directory is not empty',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EROFS: 'read-only file system',
  ENOSPC: 'no space left on device',
  EDQUOT: 'disk quota exceeded',
  EIO: 'input/output error',
  EFBIG: 'file too large',
  ELOOP: 'too many levels of symbolic links (or a symlink where none may be)',
  ENAMETOOLONG: 'file name too long',
  EMFILE: 'too many open files in this process',
  ENFILE: 'too many open files in the system',
  EXDEV: 'a link or rename across file systems',
  EBUSY: 'device or resource busy',
  EMLINK: 'too many links',
  EINVAL: 'invalid argument',
  ERANGE: 'numerical result out of range',
  EBADF: 'bad file descriptor',
  EAGAIN: 'resource temporarily unavailable',
  EINTR: 'interrupted system call',
  ENOSYS: 'function not implemented',
  ENOTSUP: 'operation not supported',
  EPIPE: 'broken pipe: the reader went away',
  ECONNREFUSED: 'connection refused',
  ECONNRESET: 'connection reset by peer',
  ETIMEDOUT: 'connection timed out',
  EHOSTUNREACH: 'no route to host',
  ENETUNREACH: 'network is unreachable',
  ENOTFOUND: 'a host name that does not resolve, or a registry answering HTTP 404',
  ESYSCALL: 'another failed system call (its errno is in the error\'s `cause`)',
} as const;

/** Every code a CfsError carries: cfskit's own and the errno codes it passes on. */
export type CfsErrorCode = keyof typeof CFS_ERROR_CODES | keyof typeof ERRNO_CODES;
/** The errno codes cfskit passes on. */
export type ErrnoCode = keyof typeof ERRNO_CODES;

/** `code` if it is one of the errno codes cfskit passes on, else `ESYSCALL`. */
export function errnoCode(code: string | undefined): ErrnoCode {
  return code !== undefined && Object.hasOwn(ERRNO_CODES, code) ? (code as ErrnoCode) : 'ESYSCALL';
}

/**
 * The one error type cfskit throws for bad input or a failed operation: `message` is one line
 * (place, field, reason), `reason` the bare reason, `code` a `CfsErrorCode`.
 */
export class CfsError extends Error {
  readonly file?: string;
  readonly line?: number;
  readonly offset?: number;
  readonly field?: string;
  readonly code: CfsErrorCode;
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
  return new CfsError(systemReason(e), { file, code: errnoCode(e.code) }, { cause: e });
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
