import { expect } from 'chai';
import { cfskit } from '../helpers/cli.js';

const cli = (args: string[]) => cfskit(args, { runner: 'dist' });

describe('cfskit CLI dispatcher (compiled dist/)', () => {
  it('prints usage with --help and exits 0', () => {
    const r = cli(['--help']);
    expect(r.status).to.equal(0);
    expect(r.stdout).to.match(/^Usage: cfskit COMMAND/);
  });
  it('rejects an unknown command with exit 2, names it and suggests the nearest', () => {
    const r = cli(['comit']);
    expect(r.status).to.equal(2);
    expect(r.stderr).to.equal("cfskit: unknown command 'comit'\nDid you mean 'commit'?\nTry 'cfskit help' for more information.\n");
  });
});
