// Mocha runs the TypeScript tests through tsx; the reporter ends with "N passed, N failed".
module.exports = {
  'node-option': ['import=tsx'],
  spec: ['test/**/*.test.ts'],
  reporter: './test/helpers/reporter.cjs',
  timeout: 120000,
  'check-leaks': false,
};
