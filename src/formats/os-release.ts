/**
 * os-release(5) as ostree reads it for the BLS title (spec ostree.md §3.5, `parse_os_release()`):
 * `KEY=VALUE` lines, `#` comments skipped, values shell-unquoted. Never throws; input beyond
 * OS_RELEASE_MAX_BYTES is ignored.
 */
export const OS_RELEASE_MAX_BYTES = 64 * 1024;

/** g_shell_unquote for the forms os-release uses: '…' literal, "…" with \" \\ \$ \` escapes, bare words. */
function unquote(v: string): string {
  let out = '';
  for (let i = 0; i < v.length; ) {
    const c = v[i];
    if (c === "'") {
      const end = v.indexOf("'", i + 1);
      out += v.slice(i + 1, end < 0 ? v.length : end);
      i = end < 0 ? v.length : end + 1;
    } else if (c === '"') {
      i++;
      while (i < v.length && v[i] !== '"') {
        if (v[i] === '\\' && i + 1 < v.length && '"\\$`'.includes(v[i + 1])) i++;
        out += v[i++];
      }
      i++;
    } else if (c === '\\' && i + 1 < v.length) {
      out += v[i + 1];
      i += 2;
    } else {
      out += c;
      i++;
    }
  }
  return out;
}

export function parseOsRelease(data: Uint8Array): Map<string, string> {
  const text = Buffer.from(data.subarray(0, OS_RELEASE_MAX_BYTES)).toString('utf8');
  const out = new Map<string, string>();
  for (const line of text.split('\n')) {
    if (line.startsWith('#')) continue;
    const eq = line.indexOf('=');
    if (eq <= 0) continue;
    out.set(line.slice(0, eq), unquote(line.slice(eq + 1)));
  }
  return out;
}

/** The BLS title base: PRETTY_NAME (else ID) plus ` <version>` unless already in it (ostree.md §3.5). */
export function titleFromOsRelease(osRelease: Map<string, string>, version?: string): string | undefined {
  const name = osRelease.get('PRETTY_NAME') ?? osRelease.get('ID');
  if (name === undefined) return undefined;
  return version && !name.includes(version) ? `${name} ${version}` : name;
}
