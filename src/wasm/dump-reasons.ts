/**
 * Why a dumpfile is refused, and in which field: the codes both dumpfile parsers use (the Wasm one
 * puts them in its failure record, assembly/composefs/error.ts); src/wasm/dump-error.ts words them.
 * A contract module: the Wasm side gets these values from assembly/contract/dump-reasons.ts, which
 * assembly/generate-contract.ts writes from this file (docs/ARCHITECTURE.md, "The Wasm contract").
 */

/** The Wasm type of each constant (AssemblyScript names; numbers in TypeScript). */
type i32 = number;

/** The fixed fields of a line (spec composefs-image.md §3.1), in their order. */
export const F_PATH = 0 satisfies i32;
export const F_SIZE = 1 satisfies i32;
export const F_MODE = 2 satisfies i32;
export const F_NLINK = 3 satisfies i32;
export const F_UID = 4 satisfies i32;
export const F_GID = 5 satisfies i32;
export const F_RDEV = 6 satisfies i32;
export const F_MTIME = 7 satisfies i32;
export const F_PAYLOAD = 8 satisfies i32;
export const F_CONTENT = 9 satisfies i32;
export const F_DIGEST = 10 satisfies i32;
export const FIXED_FIELDS = 11 satisfies i32;
/** The xattrs after the fixed fields. */
export const F_XATTRS = 11 satisfies i32;
/** One xattr, named by its key (the failure's bytes). */
export const F_XATTR_KEY = 12 satisfies i32;
/** A refusal of the whole input or line, naming no field. */
export const F_NONE = -1 satisfies i32;

/** Reasons, in the order of the checks (composefs-image.md §3.5). The failure's numbers and bytes are those the message quotes. */
export const DUMP_EMBEDDED_NUL = 1 satisfies i32; // number: position in the line
export const DUMP_EMPTY_PATH = 2 satisfies i32;
export const DUMP_INVALID_INTEGER = 3 satisfies i32; // bytes: the field's text
export const DUMP_INVALID_MODE = 4 satisfies i32; // number: the mode
export const DUMP_ROOT_NOT_DIRECTORY = 5 satisfies i32;
export const DUMP_MULTIPLE_ROOTS = 6 satisfies i32;
export const DUMP_NO_ROOT = 7 satisfies i32;
export const DUMP_PARENT_MISSING = 8 satisfies i32; // bytes: the path
export const DUMP_PARENT_NOT_DIRECTORY = 9 satisfies i32; // bytes: the path
export const DUMP_DOT_NAME = 10 satisfies i32; // bytes: the path
export const DUMP_CANNOT_ADD_CHILD = 11 satisfies i32;
export const DUMP_DIRECTORY_HARDLINK = 12 satisfies i32;
export const DUMP_CONTENT_SIZE = 13 satisfies i32; // numbers: content length, SIZE
export const DUMP_DEVNUM = 14 satisfies i32;
export const DUMP_INVALID_SYMLINK = 15 satisfies i32;
export const DUMP_SYMLINK_SIZE = 16 satisfies i32; // numbers: target length, SIZE
export const DUMP_SYMLINK_CONTENT = 17 satisfies i32;
export const DUMP_INVALID_PAYLOAD = 18 satisfies i32;
export const DUMP_INLINE_TOO_LARGE = 19 satisfies i32; // numbers: content length, the maximum
export const DUMP_TOO_MANY_XATTRS = 20 satisfies i32;
export const DUMP_MISSING_EQUALS = 21 satisfies i32;
export const DUMP_CANNOT_SET_XATTR = 22 satisfies i32;
export const DUMP_NO_CHARACTER_AFTER_ESCAPE = 23 satisfies i32;
export const DUMP_NO_HEX_AFTER_ESCAPE = 24 satisfies i32;
export const DUMP_INVALID_HEX_ESCAPE = 25 satisfies i32;
export const DUMP_UNSUPPORTED_ESCAPE = 26 satisfies i32; // number: the byte after the backslash
export const DUMP_MISSING_NEWLINE = 27 satisfies i32;
export const DUMP_NO_FILES = 28 satisfies i32;
export const DUMP_NO_LINK_TARGET = 29 satisfies i32;
export const DUMP_LINK_TARGET_MISSING = 30 satisfies i32; // bytes: the target
export const DUMP_SELF_LINK = 31 satisfies i32; // bytes: the target
