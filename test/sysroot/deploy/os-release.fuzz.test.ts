import { expect } from 'chai';
import fc from 'fast-check';
import { OS_RELEASE_MAX_BYTES, parseOsRelease, titleFromOsRelease } from '../../../src/formats/os-release.js';

const runs = Number(process.env.CFSKIT_FUZZ_RUNS ?? 2000);

describe('os-release parser (BLS titles)', () => {
  it('reads os-release(5) as ostree does: comments, quotes, escapes', () => {
    const m = parseOsRelease(Buffer.from('# c\nNAME=Fedora\nPRETTY_NAME="Fedora Linux 41 (\\"Workstation\\")"\nID=\'fedora\'\nVERSION_ID=41\nbroken line\n=x\n'));
    expect([...m]).to.deep.equal([['NAME', 'Fedora'], ['PRETTY_NAME', 'Fedora Linux 41 ("Workstation")'], ['ID', 'fedora'], ['VERSION_ID', '41']]);
    expect(titleFromOsRelease(m, '41.2')).to.equal('Fedora Linux 41 ("Workstation") 41.2');
    expect(titleFromOsRelease(m, '41')).to.equal('Fedora Linux 41 ("Workstation")');
    expect(titleFromOsRelease(new Map([['ID', 'x']]))).to.equal('x');
    expect(titleFromOsRelease(new Map())).to.equal(undefined);
  });

  it('never throws and reads at most OS_RELEASE_MAX_BYTES on any input (fuzz)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 512 }), fc.stringMatching(/^[A-Z_="'\\ \n#a-z]*$/), (bytes, text) => {
        parseOsRelease(bytes);
        const m = parseOsRelease(Buffer.from(text));
        for (const [k, v] of m) expect(k.length + v.length).to.be.at.most(text.length);
      }),
      { numRuns: runs, seed: 0x05e1ea5e },
    );
    const big = Buffer.alloc(OS_RELEASE_MAX_BYTES * 4, 0x41);
    big.write('\nID=late\n', OS_RELEASE_MAX_BYTES + 10);
    expect(parseOsRelease(big).get('ID')).to.equal(undefined);
  });
});
