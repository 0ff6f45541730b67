/**
 * The per-node xattr budget libcomposefs keeps while xattrs are added (spec composefs-image.md
 * composefs-image.md §2.11, `lcfs_node_set_xattr`): a port of src/composefs/xattr-budget.ts. Each entry costs
 * 7 + len(key) + len(value), the first one 12 more, and the running total must stay <= 32767.
 * Replacing a key first takes the old entry off (or resets the total when it was the only xattr);
 * the C total is a size_t, so taking off more than it holds wraps and then fails (a negative sum).
 */

/** Longest xattr name and value (XATTR_NAME_MAX, XATTR_SIZE_MAX). */
export const XATTR_NAME_MAX: i32 = 255;
export const XATTR_VALUE_MAX: i32 = 65535;
/** LCFS_INODE_EXTERNAL_XATTR_MAX = UINT16_MAX / 2. */
export const XATTR_BUDGET_MAX: i32 = 32767;
export const XATTR_BUDGET_ENTRY_OVERHEAD: i32 = 7;
export const XATTR_BUDGET_HEADER: i32 = 12;
/** What `budgetAfterSet` returns when C refuses the xattr. */
export const BUDGET_REFUSED: i32 = -1;

/**
 * The total after setting one xattr, or BUDGET_REFUSED (key empty or longer than 255 bytes, value
 * longer than 65535 bytes, or the budget exceeded). `count` is the node's xattr count before the
 * call; `oldValueLength` the length of the value being replaced, or -1 when the key is new.
 */
export function budgetAfterSet(total: i32, count: i32, keyLength: i32, valueLength: i32, oldValueLength: i32): i32 {
  if (keyLength == 0 || keyLength > XATTR_NAME_MAX || valueLength > XATTR_VALUE_MAX) return BUDGET_REFUSED;
  let t = total;
  let n = count;
  if (oldValueLength >= 0) {
    n -= 1;
    t = n > 0 ? t - (XATTR_BUDGET_ENTRY_OVERHEAD + keyLength + oldValueLength) : 0;
  }
  let entry = XATTR_BUDGET_ENTRY_OVERHEAD + keyLength + valueLength;
  if (n == 0) entry += XATTR_BUDGET_HEADER;
  const sum = t + entry;
  return sum < 0 || sum > XATTR_BUDGET_MAX ? BUDGET_REFUSED : sum;
}
