/**
 * How the Wasm builder fails. AssemblyScript has no exceptions and one instance serves one build,
 * so a failure records what JS needs and traps: src/wasm/composefs.ts catches the trap and reads
 * the record through the exports below.
 *  - FAIL_DUMP: the dumpfile is invalid; JS re-parses it with src/composefs/dumpfile/parse.ts,
 *    which is the reference for every dumpfile message (spec composefs-image.md §3.5 order).
 *  - FAIL_WRITE: the writer refused the tree; `code` is the errno name (EINVAL, ERANGE, EFBIG,
 *    ENOTDIR, ...) and the text is the `field` src/composefs/write-error.ts `writeError` builds
 *    (`WHERE: DETAIL`).
 */
export { FAIL_DUMP, FAIL_WRITE } from '../contract/abi';

let failKind: i32 = 0;
let failLine: i32 = 0;
let failCode: Uint8Array = new Uint8Array(0);
let failText: Uint8Array = new Uint8Array(0);

/** Records the failure and traps (never returns). `line` is the dumpfile line (1-based) or 0. */
export function fail(kind: i32, line: i32, code: string, message: string): void {
  failKind = kind;
  failLine = line;
  failCode = Uint8Array.wrap(String.UTF8.encode(code));
  failText = Uint8Array.wrap(String.UTF8.encode(message));
  unreachable();
}

export function errorKind(): i32 { return failKind; }
export function errorLine(): i32 { return failLine; }
export function errorCodePtr(): usize { return failCode.dataStart; }
export function errorCodeLen(): i32 { return failCode.length; }
export function errorTextPtr(): usize { return failText.dataStart; }
export function errorTextLen(): i32 { return failText.length; }
