/**
 * Two projects: `unit` (pure logic, no I/O) and `integration` (real Kafka, registry, PostgreSQL and
 * FerretDB (MongoDB wire) servers; the global setup starts `infra` when it is not running and stops what it started).
 */
// TypeScript is compiled per file by SWC (type-checking is tsc's job: `npm test` runs it first).
const swc = ['@swc/jest', {
  jsc: { parser: { syntax: 'typescript' }, target: 'es2022' },
  module: { type: 'commonjs' },
  sourceMaps: 'inline',
}];

const shared = {
  testEnvironment: 'node',
  transform: { '^.+\\.ts$': swc },
  moduleNameMapper: {
    '^@eventline/infra$': '<rootDir>/infra/src',
    '^@eventline/([a-z-]+)$': '<rootDir>/packages/$1/src',
  },
};

module.exports = {
  // Integration tests wait on real brokers and servers; unit tests finish far below this.
  testTimeout: 120000,
  projects: [
    {
      ...shared,
      displayName: 'unit',
      testMatch: ['<rootDir>/{packages,services,infra,charts}/**/test/unit/**/*.test.ts'],
    },
    {
      ...shared,
      displayName: 'integration',
      testMatch: ['<rootDir>/{packages,services,infra,charts,k8s}/**/test/integration/**/*.test.ts'],
      globalSetup: '<rootDir>/infra/test/global-setup.ts',
      globalTeardown: '<rootDir>/infra/test/global-teardown.ts',
      slowTestThreshold: 30,
    },
  ],
};
