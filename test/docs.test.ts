/**
 * The repository stands alone: every section reference in comments and docs names a doc of
 * docs/spec/ and a heading that doc has (the `composefs-image.md §2.9` form, docs/ARCHITECTURE.md
 * "Format facts"), nothing cites a file outside the repository, and every relative link of the
 * docs reaches a file. The section sign is written `\u00a7` here so this file holds no reference.
 */
import { expect } from 'chai';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const SPEC = join(ROOT, 'docs/spec');
const S = '\u00a7';

/** Files whose comments and text are checked: sources, tests, benches, docs and the README. */
function scanned(): string[] {
  const walk = (dir: string): string[] =>
    readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
      const path = join(dir, e.name);
      if (e.isDirectory()) return e.name === 'node_modules' || path === join(ROOT, 'test/vectors') ? [] : walk(path);
      return /\.(ts|js|mjs|cjs|sh|md)$/.test(e.name) ? [path] : [];
    });
  return [...['src', 'assembly', 'test', 'bench', 'docs'].flatMap((d) => walk(join(ROOT, d))), join(ROOT, 'README.md')];
}

/** A spec doc: its file name, and each numbered heading with the text under it. */
interface SpecDoc {
  name: string;
  sections: Map<string, string>;
}

function specDocs(): Map<string, SpecDoc> {
  const docs = new Map<string, SpecDoc>();
  for (const name of readdirSync(SPEC).filter((n) => n.endsWith('.md'))) {
    const sections = new Map<string, string>();
    const open: { num: string; level: number; lines: string[] }[] = [];
    const close = (level: number) => {
      while (open.length > 0 && open[open.length - 1].level >= level) {
        const s = open.pop()!;
        sections.set(s.num, s.lines.join('\n'));
      }
    };
    for (const line of readFileSync(join(SPEC, name), 'utf8').split('\n')) {
      const h = /^(#+)\s+(\d+(?:\.\d+)*|Appendix [A-Z])\.?\s/.exec(line) ?? /^(#+)\s/.exec(line);
      if (h) {
        close(h[1].length);
        if (h[2] !== undefined) open.push({ num: h[2], level: h[1].length, lines: [] });
      }
      for (const s of open) s.lines.push(line);
    }
    close(0);
    docs.set(name, { name, sections });
  }
  return docs;
}

/** Published standards cited by section (not documents of this repository). */
const STANDARD = /FIPS 180-4\s*$/;
const DOC_NAME = /(?<![\w/.-])(?:docs\/spec\/)?([\w-]+\.md)(?=\s*\u00a7)|(?<![\w/.-])(?:docs\/spec\/)?(composefs-image\.md|ostree\.md|vm-boot\.md)/g;
const REF = /\u00a7\s*(\d+(?:\.\d+)*)(?:\s+(?:steps?|item)\s+(\d+)|\s+(P\d+))?/g;

/**
 * The references of one line that do not resolve, as messages. A reference belongs to the last doc
 * name before it on its line; inside docs/spec/X.md a bare one means X itself.
 */
function unresolved(line: string, docs: Map<string, SpecDoc>, self?: string): string[] {
  const bad: string[] = [];
  for (const m of line.matchAll(REF)) {
    const before = line.slice(0, m.index);
    if (STANDARD.test(before)) continue;
    const names = [...before.matchAll(DOC_NAME)].map((n) => n[1] ?? n[2]);
    const name = names.length > 0 ? names[names.length - 1] : self;
    const ref = m[0].trim();
    if (name === undefined) {
      bad.push(`${ref} names no doc`);
      continue;
    }
    const doc = docs.get(name);
    const text = doc?.sections.get(m[1]);
    if (doc === undefined) bad.push(`${ref}: ${name} is not a doc of docs/spec/`);
    else if (text === undefined) bad.push(`${ref}: ${name} has no heading ${m[1]}`);
    else if (m[2] !== undefined && !doc.sections.has(`${m[1]}.${m[2]}`) && !new RegExp(`^\\s*${m[2]}\\. `, 'm').test(text))
      bad.push(`${ref}: ${name} ${S}${m[1]} has no step or item ${m[2]}`);
    else if (m[3] !== undefined && !text.includes(m[3])) bad.push(`${ref}: ${name} ${S}${m[1]} has no ${m[3]}`);
  }
  for (const m of line.matchAll(/\bAppendix [A-Z]\b/g)) {
    const names = [...line.slice(0, m.index).matchAll(DOC_NAME)].map((n) => n[1] ?? n[2]);
    const name = names.length > 0 ? names[names.length - 1] : undefined;
    if (name !== undefined && !docs.get(name)?.sections.has(m[0])) bad.push(`${m[0]}: ${name} has no such heading`);
  }
  return bad;
}

/** Citations of files outside the repository. */
const OUTSIDE = [/\.\.\/shared\b/, /\bshared\/spec\b/, /vm-boot-facts/, /\/work\/shared/];

describe('docs: the repository stands alone', () => {
  const docs = specDocs();
  const files = scanned();

  it('docs/spec/ holds the three reference docs, each with numbered headings', () => {
    expect([...docs.keys()].sort()).to.deep.equal(['composefs-image.md', 'ostree.md', 'vm-boot.md']);
    for (const doc of docs.values()) expect(doc.sections.size, doc.name).to.be.greaterThan(5);
  });

  it(`every ${S} reference names a doc of docs/spec/ and resolves to one of its headings`, () => {
    const bad = files.flatMap((file) => {
      const rel = relative(ROOT, file);
      const self = rel.startsWith('docs/spec/') ? rel.slice('docs/spec/'.length) : undefined;
      return readFileSync(file, 'utf8')
        .split('\n')
        .flatMap((line, i) => unresolved(line, docs, self).map((why) => `${rel}:${i + 1}: ${why}`));
    });
    expect(bad).to.deep.equal([]);
  });

  it('no comment or doc cites a file outside the repository', () => {
    const bad = files.flatMap((file) =>
      readFileSync(file, 'utf8')
        .split('\n')
        .flatMap((line, i) => (OUTSIDE.some((re) => re.test(line)) && file !== fileURLToPath(import.meta.url) ? [`${relative(ROOT, file)}:${i + 1}: ${line.trim()}`] : [])),
    );
    expect(bad).to.deep.equal([]);
  });

  it('every relative link of docs/ and README.md reaches a file', () => {
    const md = files.filter((f) => f.endsWith('.md') && (f.startsWith(join(ROOT, 'docs')) || f === join(ROOT, 'README.md')));
    const bad = md.flatMap((file) =>
      [...readFileSync(file, 'utf8').matchAll(/\]\(([^)\s]+)\)/g)]
        .map((m) => m[1])
        .filter((target) => !/^(?:[a-z]+:|#)/.test(target))
        .filter((target) => !existsSync(join(dirname(file), decodeURIComponent(target.replace(/#.*$/, '')))))
        .map((target) => `${relative(ROOT, file)}: ${target}`),
    );
    expect(md.length).to.be.greaterThan(3);
    expect(bad).to.deep.equal([]);
  });

  it('the check refuses a bare reference, an unknown doc, heading, step or pass, and accepts real ones', () => {
    const ok = (line: string) => expect(unresolved(line, docs), line).to.deep.equal([]);
    const refused = (line: string) => expect(unresolved(line, docs), line).to.have.length(1);
    refused(`the parser (spec ${S}3.5)`);
    refused(`see other.md ${S}1`);
    refused(`composefs-image.md ${S}9.9`);
    refused(`ostree.md ${S}3.7 step 12`);
    refused(`composefs-image.md ${S}2.9 P9`);
    ok(`composefs-image.md ${S}3.5 step 13, ${S}2.9 P6, ${S}2.4.1`);
    ok(`ostree.md ${S}3.7 step 8; ostree.md ${S}6 item 4; ${S}7 step 4`);
    ok(`vm-boot.md ${S}3; FIPS 180-4 ${S}6.2`);
    ok(`composefs-image.md ${S}2.12, Appendix B item 14`);
    const appendix = 'Appendix';
    refused(`composefs-image.md ${appendix} Z`);
    expect(unresolved(`${S}2.9 P7`, docs, 'composefs-image.md')).to.deep.equal([]);
  });
});
