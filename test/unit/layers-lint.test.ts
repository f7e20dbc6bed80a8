// The structure of src/ is lint-enforced (eslint/layers.mjs, docs/architecture.md): each layer may
// import only what the table allows, workflows reach activities by type only, the CLI reaches a
// worker only through worker/main, and an import cycle is an error.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { ESLint } from 'eslint';

const root = join(__dirname, '..', '..');

/** The structure rules' messages for `code` as if it were the file at `path`. */
async function structureErrors(path: string, code: string): Promise<string[]> {
  // Only the structure rules, without type information (a probe is not a file on disk).
  const eslint = new ESLint({
    cwd: root,
    ruleFilter: ({ ruleId }) => ruleId === 'no-restricted-imports' || ruleId === 'import-x/no-cycle',
    overrideConfig: { languageOptions: { parserOptions: { projectService: false, project: null } } },
  });
  const [result] = await eslint.lintText(code, { filePath: join(root, path) });
  return (result?.messages ?? []).map((m) => `${m.ruleId}: ${m.message}`);
}

const cases: Array<[string, string, string, RegExp | null]> = [
  // layer, importing file, import, expected error (null: allowed)
  [
    'shared imports nothing of ours',
    'src/shared/probe.ts',
    "import { parseConfig } from '../config/load';",
    /src\/shared may not import src\/config: src\/shared may import nothing of ours/,
  ],
  ['config may use shared', 'src/config/probe.ts', "import { versionProblem } from '../shared/identifiers';", null],
  [
    'config may not use records',
    'src/config/probe.ts',
    "import { readAuditEntries } from '../records/audit-log';",
    /src\/config may not import src\/records/,
  ],
  [
    'records may not use activities',
    'src/records/probe.ts',
    "import { createActivities } from '../activities';",
    /src\/records may not import src\/activities/,
  ],
  [
    'activities may not import a workflow',
    'src/activities/gates/probe.ts',
    "import { releasePromotion } from '../../workflows/release-promotion';",
    /src\/activities may not import src\/workflows/,
  ],
  [
    'activities may not import the worker',
    'src/activities/probe.ts',
    "import { runWorker } from '../worker/main';",
    /src\/activities may not import src\/worker/,
  ],
  [
    'activities may not import the client',
    'src/activities/probe.ts',
    "import { main } from '../client/cli';",
    /src\/activities may not import src\/client/,
  ],
  [
    'activities may use records and workflow-api',
    'src/activities/probe.ts',
    "import { readAuditEntries } from '../records/audit-log';\nimport { EnvironmentLedger } from '../workflow-api';",
    null,
  ],
  [
    'workflows may use activities by type',
    'src/workflows/probe.ts',
    "import type { ReleaseActivities } from '../activities';",
    null,
  ],
  [
    'workflows may not call activity code',
    'src/workflows/release/probe.ts',
    "import { createActivities } from '../../activities';",
    /src\/workflows may not import src\/activities: src\/workflows may import shared, activities \(types only\)/,
  ],
  [
    'workflows may not use records',
    'src/workflows/probe.ts',
    "import { readAuditEntries } from '../records/audit-log';",
    /src\/workflows may not import src\/records/,
  ],
  [
    'the client may start a worker through worker/main',
    'src/client/commands/probe.ts',
    "import { runWorker } from '../../worker/main';",
    null,
  ],
  [
    'the client may not reach worker internals',
    'src/client/commands/probe.ts',
    "import { startHealthServer } from '../../worker/health-server';",
    /src\/client may not import src\/worker \(except worker\/main\)/,
  ],
  [
    'the client may not reach activities',
    'src/client/probe.ts',
    "import { activityDeps } from '../activities/deps';",
    /src\/client may not import src\/activities/,
  ],
  [
    'the client may not import workflow code',
    'src/client/probe.ts',
    "import { releasePromotion } from '../workflows/release-promotion';",
    /src\/client may not import src\/workflows/,
  ],
];

for (const [name, path, code, expected] of cases) {
  test(`layers: ${name}`, async () => {
    const errors = await structureErrors(path, `${code}\nexport {};\n`);
    if (expected === null) assert.deepEqual(errors, []);
    else
      assert.ok(
        errors.some((e) => expected.test(e)),
        errors.join('\n') || 'no error',
      );
  });
}

test('an import cycle is an error', async () => {
  // cli.ts imports cli-context.ts; cli-context importing cli back would close a cycle.
  const errors = await structureErrors(
    'src/client/cli-context.ts',
    "import { main } from './cli';\nexport const x = main;\n",
  );
  assert.ok(
    errors.some((e) => e.startsWith('import-x/no-cycle')),
    errors.join('\n') || 'no error',
  );
});

test('the tree as it is passes', async () => {
  const eslint = new ESLint({
    cwd: root,
    ruleFilter: ({ ruleId }) => ruleId === 'no-restricted-imports' || ruleId === 'import-x/no-cycle',
  });
  const results = await eslint.lintFiles(['src']);
  assert.deepEqual(
    results.flatMap((r) => r.messages.map((m) => `${r.filePath}: ${m.message}`)),
    [],
  );
});
