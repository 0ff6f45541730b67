/**
 * How the Wasm builder fails. AssemblyScript has no exceptions and one instance serves one build,
 * so a failure records what JS needs and traps: src/wasm/composefs.ts catches the trap and reads
 * the record through the exports below.
 *  - FAIL_DUMP: the dumpfile is invalid: the line (0: the whole input), the reason and the field
 *    (codes of assembly/contract/dump-reasons.ts, from src/wasm/dump-reasons.ts) and what the message quotes (two numbers, and the bytes in
 *    the text accessors); src/wasm/dump-error.ts words it as the TypeScript parser does.
 *  - FAIL_WRITE: the writer refused the tree; `code` is the errno name (EINVAL, ERANGE, EFBIG,
 *    ENOTDIR, ...) and the text is the `field` src/wasm/write-error.ts `writeError` builds
 *    (`WHERE: DETAIL`).
 */
import { FAIL_DUMP, FAIL_WRITE } from '../contract/abi';
export { FAIL_DUMP, FAIL_WRITE };

let failKind: i32 = 0;
let failLine: i32 = 0;
let failCode: Uint8Array = new Uint8Array(0);
let failText: Uint8Array = new Uint8Array(0);
let failReason: i32 = 0;
let failField: i32 = 0;
let failNumber0: u64 = 0;
let failNumber1: u64 = 0;

/** Records the failure and traps (never returns). `line` is the dumpfile line (1-based) or 0. */
export function fail(kind: i32, line: i32, code: string, message: string): void {
  failKind = kind;
  failLine = line;
  failCode = Uint8Array.wrap(String.UTF8.encode(code));
  failText = Uint8Array.wrap(String.UTF8.encode(message));
  unreachable();
}

/** Records a refused dumpfile (FAIL_DUMP) and traps: `reason` and `field` are codes of dump-reasons.ts; the `len` bytes at `ptr` are quoted. */
export function failDump(line: i32, reason: i32, field: i32, a: u64, b: u64, ptr: usize, len: i32): void {
  failKind = FAIL_DUMP;
  failLine = line;
  failReason = reason;
  failField = field;
  failNumber0 = a;
  failNumber1 = b;
  const bytes = new Uint8Array(len);
  memory.copy(bytes.dataStart, ptr, len);
  failText = bytes;
  unreachable();
}

export function errorKind(): i32 { return failKind; }
export function errorLine(): i32 { return failLine; }
export function errorCodePtr(): usize { return failCode.dataStart; }
export function errorCodeLen(): i32 { return failCode.length; }
export function errorTextPtr(): usize { return failText.dataStart; }
export function errorTextLen(): i32 { return failText.length; }
export function errorReason(): i32 { return failReason; }
export function errorField(): i32 { return failField; }
/** The message's numbers (i = 0, 1); JS reads them as signed BigInts. */
export function errorNumber(i: i32): u64 { return i == 0 ? failNumber0 : failNumber1; }
