// Loading a scenario for the simulated target: a built-in one by name, or a JSON file (parsed strictly).
import { readFileSync, existsSync } from 'node:fs';
import { BUILT_IN_SCENARIOS, scenarioSchema, type Scenario } from '../../shared/scenarios';

export function loadScenario(nameOrPath: string): Scenario {
  const builtIn = BUILT_IN_SCENARIOS[nameOrPath];
  if (builtIn) return builtIn;
  if (!existsSync(nameOrPath)) {
    throw new Error(
      `unknown scenario "${nameOrPath}": use one of ${Object.keys(BUILT_IN_SCENARIOS).join(', ')} or the path of a scenario JSON file`,
    );
  }
  const parsed = scenarioSchema.safeParse(JSON.parse(readFileSync(nameOrPath, 'utf8')));
  if (!parsed.success) {
    throw new Error(
      `scenario file ${nameOrPath} is invalid: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`,
    );
  }
  return parsed.data;
}
