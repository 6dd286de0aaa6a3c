/** @type {import('jest').Config} */
module.exports = {
	testEnvironment: 'node',
	roots: ['<rootDir>/test'],
	testMatch: ['**/*.test.ts'],
	transform: {
		'^.+\\.ts$': ['ts-jest', { diagnostics: false }],
	},
	// Each routed request in n8n-core arms a 5-minute timer; the suites close their servers,
	// but jest must not wait for those timers.
	forceExit: true,
	testTimeout: 30000,
	// Most suites wait on timers and sockets, not the CPU: two workers halve the run on 2 cores.
	maxWorkers: 2,
};
