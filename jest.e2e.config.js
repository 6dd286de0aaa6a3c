/** @type {import('jest').Config} End-to-end: real n8n (CLI and editor), slow; run with `npm run test:e2e`. */
module.exports = {
	testEnvironment: 'node',
	roots: ['<rootDir>/e2e'],
	testMatch: ['**/*.e2e.ts'],
	transform: { '^.+\\.ts$': ['ts-jest', { diagnostics: false }] },
	forceExit: true,
	testTimeout: 300000,
	maxWorkers: 1,
};
