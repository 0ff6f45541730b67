// Mocha runs the TypeScript tests through tsx; the reporter ends with "N passed, N failed".
// Files named on the command line run alone (mocha would otherwise add them to the whole suite).
const named = process.argv.slice(2).some((a) => !a.startsWith('-') && /\.(test\.)?ts$/.test(a));
module.exports = {
  'node-option': ['import=tsx'],
  spec: named ? [] : ['test/**/*.test.ts'],
  reporter: './test/helpers/reporter.cjs',
  timeout: 120000,
  'check-leaks': false,
};
