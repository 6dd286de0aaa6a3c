import { n8nCommunityNodesPlugin } from '@n8n/eslint-plugin-community-nodes';
import tsParser from '@typescript-eslint/parser';

// n8n's official lint for community node packages, over the node, the credential and package.json
// (typescript-eslint parses package.json as a JSON source file, which the package rules expect).
export default [
	{ ignores: ['dist/**', 'node_modules/**', 'test/**', 'scripts/**', 'e2e/**', 'bench/**', '*.js', '*.mjs'] },
	{
		files: ['**/*.ts'],
		languageOptions: { parser: tsParser, parserOptions: { project: './tsconfig.json' } },
	},
	{
		files: ['package.json'],
		languageOptions: { parser: tsParser },
	},
	n8nCommunityNodesPlugin.configs.recommended,
];
