/**
 * Fuzz of what the booted-system reader takes from outside: /run/ostree-booted, /proc/cmdline and
 * /run/ostree/staged-deployment. Random bytes, and valid files with bytes changed, give a result
 * or a CfsError; nothing else escapes. Runs: CFSKIT_FUZZ_RUNS (default 2000).
 */
import { expect } from 'chai';
import fc from 'fast-check';
import { mkdirSync, writeFileSync } from 'node:fs';
import { encode, type VarDict } from '../../src/formats/gvariant.js';
import { BACKING_ROOT_KEY, type BootedEnv, findBooted } from '../../src/sysroot/booted.js';
import { readStagedState } from '../../src/sysroot/staged.js';
import { tempDir } from './helpers.js';
import { onlyCfsError } from '../helpers/fuzz.js';

const runs = Number(process.env.CFSKIT_FUZZ_RUNS ?? 2000);

const findsOrRefuses = (sysroot: string, env: BootedEnv) => onlyCfsError(() => findBooted(sysroot, [], env));

describe('booted-system reader fuzz', () => {
  const tmp = tempDir('cfskit-booted-fuzz-');
  after(tmp.remove);
  const env: BootedEnv = { root: tmp.path, run: `${tmp.path}/run`, cmdline: `${tmp.path}/cmdline` };
  before(() => mkdirSync(env.run));

  const valid: VarDict = [
    [BACKING_ROOT_KEY, { type: '(tt)', value: [2049n, 12n] }],
    ['composefs', { type: 'b', value: true }],
    ['composefs.verity', { type: 'b', value: false }],
  ];
  const validBytes = encode('a{sv}', valid, 'le');

  it('random markers and command lines', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 400 }), fc.uint8Array({ maxLength: 200 }), (marker, cmdline) => {
        writeFileSync(`${env.run}/ostree-booted`, marker);
        writeFileSync(env.cmdline, cmdline);
        findsOrRefuses(tmp.path, env);
      }),
      { seed: 18, numRuns: runs },
    );
  });

  it('staged-deployment states: random bytes and valid states with bytes changed', () => {
    const str = (value: string) => ({ type: 's', value });
    const target: VarDict = [['name', str(`${'ab'.repeat(32)}.0`)], ['osname', str('os')], ['bootcsum', str('cd'.repeat(32))]];
    const state = encode('a{sv}', [
      ['target', { type: 'a{sv}', value: target }], ['merge-deployment', { type: 'a{sv}', value: target }],
      ['kargs', { type: 'as', value: ['root=LABEL=x', 'quiet'] }], ['overlay-initrds', { type: 'as', value: ['ef'.repeat(32)] }],
      ['cfskit.entry', str('title T\noptions root=LABEL=x\nlinux /vmlinuz\ninitrd /a\ninitrd /b\n')],
    ] as VarDict, 'le');
    mkdirSync(`${env.run}/ostree`, { recursive: true });
    const readsOrRefuses = (b: Uint8Array) => {
      writeFileSync(`${env.run}/ostree/staged-deployment`, b);
      onlyCfsError(() => readStagedState(tmp.path, env));
    };
    writeFileSync(`${env.run}/ostree/staged-deployment`, state);
    expect(readStagedState(tmp.path, env)?.deployment).to.include({ stateroot: 'os', csum: 'ab'.repeat(32), deployserial: 0, staged: true });
    fc.assert(fc.property(fc.uint8Array({ maxLength: 400 }), readsOrRefuses), { seed: 181818, numRuns: runs });
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.nat(state.length - 1), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 4 }), (changes) => {
        const b = Uint8Array.from(state);
        for (const [i, v] of changes) b[i] = v;
        readsOrRefuses(b);
      }),
      { seed: 18181818, numRuns: runs },
    );
  });

  it('valid markers with bytes changed, truncated or extended', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.nat(validBytes.length - 1), fc.integer({ min: 0, max: 255 })), { maxLength: 4 }),
        fc.integer({ min: 0, max: validBytes.length + 8 }),
        (changes, length) => {
          const b = new Uint8Array(length);
          b.set(validBytes.subarray(0, Math.min(length, validBytes.length)));
          for (const [i, v] of changes) if (i < length) b[i] = v;
          writeFileSync(`${env.run}/ostree-booted`, b);
          findsOrRefuses(tmp.path, env);
        },
      ),
      { seed: 1818, numRuns: runs },
    );
  });
});
