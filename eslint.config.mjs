import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import { builtinModules } from 'node:module';

const nodeBuiltins = [...builtinModules, ...builtinModules.map((m) => `node:${m}`)];

/**
 * Layering: a floor never imports from the floors above it. `fromFolders` matches a relative import of
 * one of the top-level folders (`../workflows/episode`, `../../scripts/lib/settings`).
 */
const fromFolders = (...folders) => `^(\\.\\./)+(${folders.join('|')})(/|$)`;
const upward = (folders, message, extra = {}) => ({ regex: fromFolders(...folders), message, ...extra });
const sideEffectSdks = {
  group: ['dockerode', 'openai', 'openai/*', '@anthropic-ai/*', '@aws-sdk/*', '@temporalio/client', '@temporalio/worker', '@temporalio/activity'],
  message: 'Workflows and pure modules must not import side-effecting SDKs.',
};
const noBuiltins = nodeBuiltins.map((name) => ({ name, message: 'Workflows and pure modules must not use Node built-ins.' }));

export default tseslint.config(
  { ignores: ['node_modules/**', '.mlgym/**', 'tasks/**', 'tools/**', 'bin/**', 'ui/dist/**', 'eslint.config.mjs'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.{ts,tsx,mts}'],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-floating-promises': [
        'error',
        { allowForKnownSafeCalls: [{ from: 'package', package: 'node:test', name: ['describe', 'it', 'test', 'suite'] }] },
      ],
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', ignoreRestSiblings: true }],
    },
  },
  {
    // Workflow code is replayed deterministically inside the worker's sandbox: no I/O, no SDK clients.
    files: ['workflows/**/*.ts', 'lib/**/*.ts'],
    rules: {
      'no-restricted-globals': ['error', { name: 'setTimeout', message: 'Use the workflow sleep().' }],
      'no-restricted-properties': [
        'error',
        { object: 'Math', property: 'random', message: 'Non-deterministic in workflows.' },
        { object: 'Date', property: 'now', message: 'Non-deterministic in workflows.' },
      ],
    },
  },
  // Layering (a later block's no-restricted-imports replaces an earlier one's: each folder has one).
  {
    // Pure modules: importable from every floor, so they import none of ours but lib/.
    files: ['lib/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: noBuiltins,
          patterns: [
            sideEffectSdks,
            upward(
              ['workflows', 'activities', 'workers', 'scripts', 'config', 'tests'],
              'lib/ is the bottom floor: it imports nothing from workflows/, activities/, workers/, scripts/, config/ or tests/.',
            ),
          ],
        },
      ],
    },
  },
  {
    files: ['workflows/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: noBuiltins,
          patterns: [
            sideEffectSdks,
            // The bare '../activities' too: its value import would pull every activity into the workflow bundle.
            upward(['activities'], 'Workflows import activity types only (import type).', { allowTypeImports: true }),
            upward(
              ['workers', 'scripts', 'config', 'tests'],
              'Workflows import lib/, activity types and other workflows only (config/ reads the environment).',
            ),
          ],
        },
      ],
    },
  },
  {
    // Side effects; the messages (signals, queries) they send live in lib/.
    files: ['activities/**/*.ts', 'config/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            upward(
              ['workflows', 'workers', 'scripts', 'tests'],
              'activities/ and config/ import nothing from workflows/, workers/, scripts/ or tests/ (signals and queries are in lib/).',
            ),
          ],
        },
      ],
    },
  },
  {
    // The viewer's browser app and the API schemas it shares with the server run in a browser.
    files: ['ui/web/**/*.{ts,tsx,mts}', 'ui/shared/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: nodeBuiltins.map((name) => ({ name, message: 'Browser code: no Node built-ins.' })),
          patterns: [
            { group: ['@temporalio/*', ...sideEffectSdks.group], message: 'Browser code reads the viewer API only, never Temporal or a provider.' },
            upward(['workflows', 'activities', 'workers', 'scripts', 'config', 'tests', 'server'], 'Browser code imports ui/shared/ and lib/ only.'),
          ],
        },
      ],
    },
  },
  {
    files: ['workers/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [upward(['scripts', 'tests'], 'workers/ import nothing from scripts/ or tests/ (shared settings are in config/).')],
        },
      ],
    },
  },
);
