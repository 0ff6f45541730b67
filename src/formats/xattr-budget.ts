/**
 * Which xattrs of a node C refuses, by the per-node budget of `budgetAfterSet` (./erofs.ts, shared
 * with the Wasm builder).
 */
import { budgetAfterSet, BUDGET_REFUSED } from './erofs.js';

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
    const next = x.key.includes(0) ? BUDGET_REFUSED : budgetAfterSet(total, lengths.size, x.key.length, x.value.length, old ?? -1);
    if (next === BUDGET_REFUSED) return x;
    total = next;
    lengths.set(name, x.value.length);
  }
  return null;
}
