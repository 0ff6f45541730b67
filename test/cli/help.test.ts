import { expect } from 'chai';
import { HELP_OPTION, type VerbSpec, optionLabel, parseVerb } from '../../src/cli/args.js';
import { subcommands as adminCommands } from '../../src/cli/admin.js';
import { cliModule, runCli, verbSpecs } from '../helpers/cli.js';

const verbs = async (): Promise<[string, VerbSpec][]> => [...(await verbSpecs())];

describe('cfskit help: one option table per verb', () => {
  it('help VERB lists every option of the verb\'s table with its help text; the parser accepts each', async () => {
    const list = await verbs();
    expect(list.length).to.be.greaterThan(20);
    for (const [name, spec] of list) {
      expect(spec.name, name).to.equal(name);
      const r = await runCli(['help', ...name.split(' ')]);
      expect(r.status, name).to.equal(0);
      expect(r.stdout, name).to.match(new RegExp(`^Usage: cfskit ${name}`));
      for (const [option, o] of Object.entries({ ...spec.options, ...HELP_OPTION })) {
        expect(o.help, `${name} --${option} has no help text`).to.be.a('string').and.not.equal('');
        expect(r.stdout, `${name} --${option}`).to.contain(optionLabel(option, o).trim());
        for (const line of o.help!.split('\n')) expect(r.stdout, `${name} --${option}`).to.contain(line);
        const value = o.type === 'string' ? [`--${option}=x`] : [`--${option}`];
        if (option !== 'help') expect(parseVerb(spec, value)?.values[option], `${name} --${option}`).to.not.equal(undefined);
      }
      // No option the help shows is missing from the table.
      const shown = [...r.stdout.matchAll(/^ {2}(?:-\w, | {4})--([a-z0-9-]+)/gm)].map((m) => m[1]);
      expect(shown.sort(), name).to.deep.equal(Object.keys({ ...spec.options, ...HELP_OPTION }).sort());
    }
  });

  it('cfskit help and cfskit admin help list every verb, admin verbs included', async () => {
    const { commands } = await cliModule();
    const top = await runCli(['help']);
    expect(top.status).to.equal(0);
    for (const name of Object.keys(commands)) expect(top.stdout).to.match(new RegExp(`^  ${name} `, 'm'));
    for (const name of Object.keys(adminCommands)) expect(top.stdout).to.match(new RegExp(`^  ${name} `, 'm'));
    const admin = await runCli(['admin', 'help']);
    expect(admin.status).to.equal(0);
    for (const name of Object.keys(adminCommands)) expect(admin.stdout).to.match(new RegExp(`^  ${name} `, 'm'));
    expect((await runCli(['admin', 'help', 'verify'])).stdout).to.contain('--quick');
  });

  it('refuses an unknown option in getopt\'s words with exit 2 and suggests the nearest', async () => {
    const cases: [string[], string, string | undefined][] = [
      [['mkcomposefs', '--x'], "cfskit mkcomposefs: unrecognized option '--x'", undefined],
      [['commit', '--brnch=a'], "cfskit commit: unrecognized option '--brnch'", '--branch'],
      [['admin', 'deploy', '--retian'], "cfskit admin deploy: unrecognized option '--retian'", '--retain'],
      [['digest', '--bogus'], "cfskit digest: unrecognized option '--bogus'", undefined],
      [['demo', '--bogus'], "cfskit demo: unrecognized option '--bogus'", undefined],
      [['log', '-x'], "cfskit log: invalid option -- 'x'", undefined],
      [['refs', '--delete=a'], "cfskit refs: option '--delete' doesn't allow an argument", undefined],
      [['show', '--repo'], "cfskit show: option '--repo' requires an argument", undefined],
      [['comit'], "cfskit: unknown command 'comit'", 'commit'],
      [['admin', 'verfy'], "cfskit admin: unknown admin subcommand 'verfy'", 'verify'],
    ];
    for (const [argv, first, suggestion] of cases) {
      const r = await runCli(argv);
      expect(r.status, argv.join(' ')).to.equal(2);
      const lines = r.stderr.trimEnd().split('\n');
      expect(lines[0], argv.join(' ')).to.equal(first);
      if (suggestion) expect(lines[1]).to.equal(`Did you mean '${suggestion}'?`);
      expect(lines.at(-1)).to.match(/^Try 'cfskit help( [a-z-]+)*' for more information\.$/);
      expect(lines.length).to.be.at.most(3);
    }
  });

  it('parses as getopt_long: prefixes, --opt V, -xV, grouped shorts, --, repeats', () => {
    const spec: VerbSpec = {
      name: 't',
      synopsis: [],
      options: { repo: { type: 'string' }, 'repo-mode': { type: 'string' }, list: { type: 'string', multiple: true, short: 'l' }, quiet: { type: 'boolean', short: 'q' }, all: { type: 'boolean', short: 'a' }, mode: { type: 'string', default: 'bare' } },
    };
    const p = parseVerb(spec, ['--repo', 'r', '-qa', '-lx', '-l', 'y', '--list=z', 'pos', '--', '--quiet'])!;
    expect(p.values).to.deep.equal({ repo: 'r', quiet: true, all: true, list: ['x', 'y', 'z'], mode: 'bare' });
    expect(p.positionals).to.deep.equal(['pos', '--quiet']);
    expect(parseVerb(spec, ['--qu', '--repo-m=b'])!.values).to.include({ quiet: true, 'repo-mode': 'b' });
    expect(() => parseVerb(spec, ['--rep=x'])).to.throw("option '--rep' is ambiguous");
    expect(parseVerb(spec, ['-'])!.positionals).to.deep.equal(['-']);
  });
});
