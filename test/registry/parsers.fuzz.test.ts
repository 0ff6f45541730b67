/**
 * Fuzz of the registry's parsers of outside data: references, `WWW-Authenticate` challenges, auth
 * files and platform choice from an index. Each either parses or fails with a CfsError; nothing
 * else escapes, nothing hangs. Generated valid references round-trip. Runs: CFSKIT_FUZZ_RUNS (default 2000).
 */
import { expect } from 'chai';
import fc from 'fast-check';
import { CfsError } from '../../src/errors.js';
import { credentialsInText, parseChallenges } from '../../src/registry/auth.js';
import { choosePlatform } from '../../src/registry/pull.js';
import { formatReference, parseReference } from '../../src/registry/reference.js';
import { onlyCfsError } from '../helpers/fuzz.js';

const runs = Number(process.env.CFSKIT_FUZZ_RUNS ?? 2000);

const component = fc.stringMatching(/^[a-z0-9]{1,6}(?:[._-][a-z0-9]{1,4})?$/);
const host = fc.tuple(fc.stringMatching(/^[a-z][a-z0-9]{0,8}$/), fc.constantFrom('.example', '.test.org', ''), fc.option(fc.integer({ min: 1, max: 65535 })))
  .map(([h, d, p]) => `${d ? h + d : 'localhost'}${p ? `:${p}` : ''}`);
const hex64 = fc.uint8Array({ minLength: 32, maxLength: 32 }).map((b) => Buffer.from(b).toString('hex'));
const reference = fc.record({
  host,
  repository: fc.array(component, { minLength: 1, maxLength: 4 }).map((c) => c.join('/')),
  tag: fc.option(fc.stringMatching(/^[A-Za-z0-9_][A-Za-z0-9_.-]{0,20}$/), { nil: undefined }),
  digest: fc.option(hex64.map((h) => `sha256:${h}`), { nil: undefined }),
});

describe('registry parsers fuzz', () => {
  it('generated references round-trip', () => {
    fc.assert(fc.property(reference, (r) => {
      const text = `docker://${r.host}/${r.repository}${r.tag ? `:${r.tag}` : ''}${r.digest ? `@${r.digest}` : ''}`;
      const parsed = parseReference(text);
      expect(parsed).to.deep.include({ registry: r.host, repository: r.repository, digest: r.digest });
      expect(parsed.tag).to.equal(r.tag ?? (r.digest ? undefined : 'latest'));
      expect(parseReference(formatReference(parsed))).to.deep.equal(parsed);
    }), { seed: 121, numRuns: runs });
  });

  it('random and mutated references parse or fail with CfsError', () => {
    fc.assert(fc.property(fc.string({ maxLength: 300 }), (s) => onlyCfsError(() => parseReference(`docker://${s}`))), { seed: 122, numRuns: runs });
    fc.assert(fc.property(reference, fc.array(fc.tuple(fc.nat(), fc.string({ maxLength: 2 })), { minLength: 1, maxLength: 5 }), (r, edits) => {
      let text = `docker://${r.host}/${r.repository}:${r.tag ?? 'x'}`;
      for (const [at, s] of edits) text = text.slice(0, at % (text.length + 1)) + s + text.slice((at % (text.length + 1)) + 1);
      onlyCfsError(() => parseReference(text));
    }), { seed: 123, numRuns: runs });
  });

  it('WWW-Authenticate headers: parsed or refused, never stuck', () => {
    const piece = fc.constantFrom('Bearer ', 'Basic ', 'realm=', '"', '\\', ',', ' ', '=', 'a', 'scope="x:y"', 'service=s', '\t');
    fc.assert(fc.property(fc.array(piece, { maxLength: 60 }), fc.string({ maxLength: 40 }), (parts, tail) => {
      onlyCfsError(() => parseChallenges(parts.join('') + tail));
    }), { seed: 124, numRuns: runs });
    expect(parseChallenges('Bearer realm="https://a/token",service="reg",scope="repository:os:pull"')).to.deep.equal([
      { scheme: 'bearer', params: { realm: 'https://a/token', service: 'reg', scope: 'repository:os:pull' } },
    ]);
    expect(parseChallenges('Basic realm="basic-realm"')).to.deep.equal([{ scheme: 'basic', params: { realm: 'basic-realm' } }]);
    expect(() => parseChallenges('Bearer '.repeat(2000))).to.throw(CfsError, /longer than 8192 bytes/);
  });

  it('auth files: parsed or refused', () => {
    const value = fc.oneof(fc.string({ maxLength: 20 }), fc.integer(), fc.constant(null), fc.base64String({ maxLength: 24 }));
    const doc = fc.oneof(
      fc.string({ maxLength: 80 }),
      fc.dictionary(fc.constantFrom('auths', 'credHelpers', 'x'), fc.oneof(value, fc.dictionary(fc.constantFrom('h', 'h/os', 'https://h/v1/'), fc.oneof(value, fc.record({ auth: value }))))).map((d) => JSON.stringify(d)),
    );
    fc.assert(fc.property(doc, (text) => onlyCfsError(() => credentialsInText(text, 'auth.json', 'h', 'os'))), { seed: 125, numRuns: runs });
  });

  it('platform choice from an index: a descriptor of that platform or a CfsError listing those present', () => {
    const platform = fc.record({ os: fc.constantFrom('linux', 'windows', 'unknown'), architecture: fc.constantFrom('amd64', 'arm64', 'arm'), variant: fc.option(fc.constantFrom('v7', 'v8'), { nil: undefined }) });
    const entry = fc.record({ digest: hex64.map((h) => `sha256:${h}`), size: fc.nat(), platform: fc.option(platform, { nil: undefined }) });
    fc.assert(fc.property(fc.array(entry, { maxLength: 6 }), platform, (entries, want) => {
      try {
        const d = choosePlatform(entries, want, 'index');
        expect(d.platform).to.deep.include({ os: want.os, architecture: want.architecture });
      } catch (e) {
        expect(e).to.be.instanceOf(CfsError);
        expect((e as Error).message).to.match(/no image for .* in the index \(present: /);
      }
    }), { seed: 126, numRuns: runs });
  });
});
