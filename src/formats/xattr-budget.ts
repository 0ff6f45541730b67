/**
 * The per-node xattr budget libcomposefs keeps while xattrs are added (spec composefs-image.md
 * §2.11, `lcfs_node_set_xattr`): each entry costs 7 + len(key) + len(value), the first one 12 more,
 * and the running total must stay <= 32767. Replacing a key first takes the old entry off (or
 * resets the total when it was the only xattr). The C total is a size_t: taking an entry off a
 * total that is smaller (the writer's working copy starts at 0) wraps around, and the following
 * check then fails with ERANGE ("Numerical result out of range"); a negative sum models that wrap.
 */
import {
  XATTR_BUDGET_ENTRY_OVERHEAD,
  XATTR_BUDGET_HEADER,
  XATTR_BUDGET_MAX,
  XATTR_NAME_MAX,
  XATTR_VALUE_MAX,
} from './erofs.js';

/**
 * The total after setting one xattr, or null when C refuses it (key empty or longer than 255
 * bytes, value longer than 65535 bytes, or the budget exceeded).
 * `count` is the node's xattr count before the call; `oldValueLength` is the length of the value
 * being replaced, or -1 when the key is new.
 */
export function budgetAfterSet(
  total: number,
  count: number,
  keyLength: number,
  valueLength: number,
  oldValueLength: number,
): number | null {
  if (keyLength === 0 || keyLength > XATTR_NAME_MAX || valueLength > XATTR_VALUE_MAX) return null;
  let t = total;
  let n = count;
  if (oldValueLength >= 0) {
    n -= 1;
    t = n > 0 ? t - (XATTR_BUDGET_ENTRY_OVERHEAD + keyLength + oldValueLength) : 0;
  }
  let entry = XATTR_BUDGET_ENTRY_OVERHEAD + keyLength + valueLength;
  if (n === 0) entry += XATTR_BUDGET_HEADER;
  const sum = t + entry;
  return sum < 0 || sum > XATTR_BUDGET_MAX ? null : sum;
}

/**
 * The first of `xattrs` that C refuses when they are set in order (a key set again replaces the
 * earlier value, as in a dumpfile line), or null. A key with a NUL byte is refused too: C takes keys
 * as C strings.
 */
export function refusedXattr(xattrs: readonly { key: Uint8Array; value: Uint8Array }[]): { key: Uint8Array; value: Uint8Array } | null {
  if (xattrs.length === 0) return null; // most nodes: no Map to build
  let total = 0;
  const lengths = new Map<string, number>();
  for (const x of xattrs) {
    const name = Buffer.from(x.key.buffer, x.key.byteOffset, x.key.length).toString('latin1');
    const old = lengths.get(name);
    const next = x.key.includes(0) ? null : budgetAfterSet(total, lengths.size, x.key.length, x.value.length, old ?? -1);
    if (next === null) return x;
    total = next;
    lengths.set(name, x.value.length);
  }
  return null;
}
