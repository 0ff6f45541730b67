// The VM boot suite (npm run test:vm): mocha --config test/vm/.mocharc.cjs
module.exports = {
  'node-option': ['import=tsx'],
  spec: ['test/vm/**/*.test.ts'],
  reporter: './test/helpers/reporter.cjs',
  timeout: 300000,
};
