/**
 * Two tiers (HOUSE_STYLE rule 13): unit specs next to the library source, e2e
 * specs in test/ against real redis-server processes. Jest runs in ESM mode
 * (NestJS 12 is pure ESM), so the test script sets --experimental-vm-modules.
 */
const common = {
  extensionsToTreatAsEsm: ['.ts'],
  moduleFileExtensions: ['ts', 'js', 'json'],
  moduleNameMapper: {
    '^@shared-infra/event-bus$': '<rootDir>/libs/event-bus/src/index.ts',
    '^@shared-infra/event-bus/gateway$': '<rootDir>/libs/event-bus/src/gateway/index.ts',
    '^@shared-infra/event-bus/microservices$': '<rootDir>/libs/event-bus/src/microservices/index.ts',
    '^@shared-infra/event-bus-client$': '<rootDir>/libs/event-bus-client/src/index.ts',
    '^@shared-infra/event-bus-client/protocol$': '<rootDir>/libs/event-bus-client/src/protocol.ts',
    '^(\\.{1,2}/.*)\\.js$': '$1',
  },
  transform: {
    '^.+\\.ts$': ['ts-jest', { useESM: true, tsconfig: '<rootDir>/tsconfig.json' }],
  },
  testEnvironment: 'node',
};

export default {
  testTimeout: 60_000,
  projects: [
    {
      ...common,
      displayName: 'unit',
      testMatch: ['<rootDir>/libs/**/*.spec.ts', '<rootDir>/src/**/*.spec.ts'],
    },
    {
      ...common,
      displayName: 'e2e',
      testMatch: ['<rootDir>/test/**/*.e2e-spec.ts'],
      // Compiled by `npm run build` (the test script builds first): Jest loads globalSetup outside its ESM transform.
      globalSetup: '<rootDir>/dist/test/setup/global-setup.js',
    },
  ],
};
