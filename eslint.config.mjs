// Lint: typescript-eslint's type-aware rules everywhere, and the structure of src/:
// - workflow code stays deterministic: nothing under src/workflows (or src/shared, which it uses) may
//   import Node built-ins or I/O libraries, because workflow code is replayed and must produce the
//   same commands every time;
// - each layer imports only what eslint/layers.mjs allows it (docs/architecture.md);
// - no import cycles, and type-only imports say so.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import importX from 'eslint-plugin-import-x';
import { createTypeScriptImportResolver } from 'eslint-import-resolver-typescript';
import { builtinModules } from 'node:module';
import { LAYERS, layerPatterns } from './eslint/layers.mjs';

const nodeBuiltins = builtinModules.flatMap((m) => [m, `node:${m}`]);
const ioModules = [
  'axios',
  '@kubernetes/client-node',
  '@temporalio/client',
  '@temporalio/worker',
  '@temporalio/activity',
  'yaml',
  'commander',
  'playwright-core',
  'pg',
];
const DETERMINISTIC = ['shared', 'workflows'];
const deterministicPaths = [...nodeBuiltins, ...ioModules].map((name) => ({
  name,
  message:
    'Workflow code and the pure modules it uses must stay deterministic: no Node built-ins or I/O. Do I/O in an activity.',
}));

export default tseslint.config(
  { ignores: ['node_modules/**', 'dist/**', '.release-promote/**', 'test-results/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    plugins: { 'import-x': importX },
    settings: {
      'import-x/extensions': ['.ts'],
      'import-x/parsers': { '@typescript-eslint/parser': ['.ts'] },
      'import-x/resolver-next': [createTypeScriptImportResolver({ project: './tsconfig.json' })],
    },
    rules: {
      // node:test's test() returns a promise the runner itself tracks.
      '@typescript-eslint/no-floating-promises': [
        'error',
        {
          allowForKnownSafeCalls: [
            { from: 'package', package: 'node:test', name: ['test', 'it', 'describe', 'suite'] },
          ],
        },
      ],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/restrict-template-expressions': ['error', { allowNumber: true, allowBoolean: true }],
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
      'import-x/no-cycle': ['error', { ignoreExternal: true }],
    },
  },
  // One config per layer: its allowed imports, and determinism where workflow code runs.
  ...Object.keys(LAYERS).map((layer) => ({
    files: [`src/${layer}/**/*.ts`],
    rules: {
      'no-restricted-imports': [
        'error',
        { paths: DETERMINISTIC.includes(layer) ? deterministicPaths : [], patterns: layerPatterns(layer) },
      ],
      ...(DETERMINISTIC.includes(layer)
        ? {
            'no-restricted-globals': [
              'error',
              { name: 'setTimeout', message: 'Use sleep() from @temporalio/workflow.' },
              { name: 'setInterval', message: 'Use sleep() from @temporalio/workflow in a loop.' },
              { name: 'fetch', message: 'No I/O in workflow code: call an activity.' },
              { name: 'process', message: 'No process state in workflow code: pass it in the workflow input.' },
            ],
          }
        : {}),
    },
  })),
  {
    files: ['**/*.mjs', 'bin/**', 'scripts/**/*.mjs'],
    ...tseslint.configs.disableTypeChecked,
    languageOptions: {
      ...tseslint.configs.disableTypeChecked.languageOptions,
      globals: { process: 'readonly', console: 'readonly' },
    },
  },
);
