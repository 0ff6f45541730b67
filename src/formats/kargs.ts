/**
 * Kernel command lines as ostree handles them (ostree.md §3.5, `ostree-kernel-args.c`): split on spaces
 * outside double quotes, order kept; "replace" of `key=value` puts one value where the key first
 * was, dropping its other occurrences, or appends it when the key is absent.
 */

/** Splits a kernel command line into arguments (quotes kept, empty arguments dropped). */
export function parseKargs(cmdline: string): string[] {
  const out: string[] = [];
  let cur = '';
  let quoted = false;
  for (const c of cmdline) {
    if (c === '"') quoted = !quoted;
    if (c === ' ' && !quoted) {
      if (cur) out.push(cur);
      cur = '';
    } else {
      cur += c;
    }
  }
  if (cur) out.push(cur);
  return out;
}

export const formatKargs = (args: string[]): string => args.join(' ');

/** The key of `key=value` (or the whole argument). */
export const kargKey = (arg: string): string => {
  const eq = arg.indexOf('=');
  return eq < 0 ? arg : arg.slice(0, eq);
};

/** ostree_kernel_args_replace: one `key=value` at the key's first position, or appended. */
export function replaceKarg(args: string[], arg: string): string[] {
  const key = kargKey(arg);
  const first = args.findIndex((a) => kargKey(a) === key);
  if (first < 0) return [...args, arg];
  const out: string[] = [];
  args.forEach((a, i) => {
    if (i === first) out.push(arg);
    else if (kargKey(a) !== key) out.push(a);
  });
  return out;
}

/** The arguments without any with key `key` (e.g. `ostree` when comparing boot configs). */
export const withoutKarg = (args: string[], key: string): string[] => args.filter((a) => kargKey(a) !== key);
