/** Tests against real OpenStack, Ceph and NATS services that test/real/run.sh brings up. */
import base from './jest.config.js';

export default {
  ...base,
  roots: ['<rootDir>/test/real'],
  testMatch: ['**/*.real.test.ts'],
  testPathIgnorePatterns: ['/node_modules/'],
  testTimeout: 300000,
  maxWorkers: 1,
};
