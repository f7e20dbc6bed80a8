// The lint rule that keeps workflow code deterministic: Node built-ins, I/O libraries and timers
// are refused under src/workflows and src/shared, and allowed elsewhere.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { ESLint } from 'eslint';

const probe =
  "import { readFileSync } from 'node:fs';\nimport axios from 'axios';\nexport const x = (): unknown[] => [readFileSync, axios, setTimeout];\n";
const root = join(__dirname, '..', '..');

async function restricted(path: string): Promise<string[]> {
  // Only the two restriction rules, without type information (the probe is not a file on disk).
  const eslint = new ESLint({
    cwd: root,
    ruleFilter: ({ ruleId }) => ruleId.startsWith('no-restricted-'),
    overrideConfig: { languageOptions: { parserOptions: { projectService: false, project: null } } },
  });
  const [result] = await eslint.lintText(probe, { filePath: join(root, path) });
  return (result?.messages ?? [])
    .filter((m) => m.ruleId === 'no-restricted-imports' || m.ruleId === 'no-restricted-globals')
    .map((m) => m.message);
}

test('workflow code may not import Node built-ins or I/O libraries, nor use timers', async () => {
  const messages = await restricted('src/workflows/probe.ts');
  assert.equal(messages.length, 3);
  assert.match(messages[0]!, /'node:fs' import is restricted.*must stay deterministic/);
  assert.match(messages[1]!, /'axios' import is restricted/);
  assert.match(messages[2]!, /setTimeout.*sleep\(\) from @temporalio\/workflow/);
  assert.equal((await restricted('src/shared/probe.ts')).length, 3);
});

test('activities may do I/O', async () => {
  assert.deepEqual(await restricted('src/activities/probe.ts'), []);
});
