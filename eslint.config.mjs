import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import { builtinModules } from 'node:module';

const nodeBuiltins = [...builtinModules, ...builtinModules.map((m) => `node:${m}`)];

export default tseslint.config(
  { ignores: ['node_modules/**', '.mlgym/**', 'tasks/**', 'tools/**', 'bin/**', 'eslint.config.mjs'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-floating-promises': ['error', { allowForKnownSafeCalls: [{ from: 'package', package: 'node:test', name: ['describe', 'it', 'test', 'suite'] }] }],
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
    },
  },
  {
    // Workflow code is replayed deterministically inside the worker's sandbox: no I/O, no SDK clients.
    files: ['workflows/**/*.ts', 'lib/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        paths: nodeBuiltins.map((name) => ({ name, message: 'Workflows and pure modules must not use Node built-ins.' })),
        patterns: [
          { group: ['dockerode', 'openai', 'openai/*', '@anthropic-ai/*', '@aws-sdk/*', '@temporalio/client', '@temporalio/worker', '@temporalio/activity'], message: 'Workflows and pure modules must not import side-effecting SDKs.' },
          { group: ['../activities/*', '../activities/**'], allowTypeImports: true, message: 'Workflows import activity types only (import type).' },
        ],
      }],
      'no-restricted-globals': ['error', { name: 'setTimeout', message: 'Use the workflow sleep().' }],
      'no-restricted-properties': ['error', { object: 'Math', property: 'random', message: 'Non-deterministic in workflows.' }, { object: 'Date', property: 'now', message: 'Non-deterministic in workflows.' }],
    },
  },
);
