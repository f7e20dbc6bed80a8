// Reading the config file. Errors name the file, the field and what was expected, in one line each.
import { readFileSync, existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import type { z } from 'zod';
import { configSchema, type Config } from './schema';
import { UNKNOWN_KEY_SEPARATOR } from './strict';
import type { ReleasePolicy } from '../shared/policy';
import { ConfigError } from './errors';

export { ConfigError };

export const DEFAULT_CONFIG_FILE = 'release-promote.yaml';

/** The config file to use: --config, then RELEASE_PROMOTE_CONFIG, then ./release-promote.yaml if present. */
export function configPath(explicit?: string): string | null {
  const chosen = explicit ?? process.env.RELEASE_PROMOTE_CONFIG;
  if (chosen) return resolve(chosen);
  return existsSync(DEFAULT_CONFIG_FILE) ? resolve(DEFAULT_CONFIG_FILE) : null;
}

export function loadConfig(explicit?: string): Config {
  const path = configPath(explicit);
  return parseConfig(path === null ? {} : readConfigFile(path), path ?? 'built-in defaults');
}

/** The file's content as written (before defaults), e.g. to tell which sections it sets. */
export function readConfigFile(path: string): unknown {
  if (!existsSync(path)) throw new ConfigError(`config file ${path} does not exist`);
  try {
    return (parseYaml(readFileSync(path, 'utf8')) as unknown) ?? {};
  } catch (err) {
    throw new ConfigError(`config file ${path} is not valid YAML: ${(err as Error).message.split('\n')[0]}`);
  }
}

export function parseConfig(raw: unknown, source: string): Config {
  const result = configSchema.safeParse(raw);
  if (!result.success) throw new ConfigError(formatIssues(source, result.error));
  return result.data;
}

export function formatIssues(source: string, error: z.ZodError): string {
  const lines = error.issues.flatMap((issue) => {
    if (issue.code === 'unrecognized_keys') {
      // One line per unknown key, named in full (strict.ts packs "key<TAB>message" lines).
      return issue.message.split('\n').map((line) => {
        const [key, message] = line.split(UNKNOWN_KEY_SEPARATOR) as [string, string | undefined];
        return `  ${[...issue.path, key].join('.')}: ${message ?? 'unknown key'}`;
      });
    }
    const field = issue.path.length ? issue.path.join('.') : '(top level)';
    return [`  ${field}: ${issue.message}`];
  });
  return `invalid config (${source}):\n${lines.join('\n')}`;
}

/** The installation's rules, as a worker hands them to the releases it starts. */
export function releasePolicy(config: Config, namespace: string): ReleasePolicy {
  const { dev, staging, approval, canary, hotfix } = config.stages;
  return {
    access: { roles: structuredClone(config.roles), permissions: structuredClone(config.permissions) },
    environments: Object.keys(config.environments),
    stagingEnvironment: staging.environment,
    productionEnvironment: canary.environment,
    devGates: { ...dev },
    soak: {
      durationMs: staging.soak,
      healthCheckIntervalMs: staging.healthCheckInterval,
      maxTotalMs: staging.maxTotalSoak,
    },
    approval: {
      separationOfDuties: approval.separationOfDuties,
      reminderIntervalMs: approval.reminderInterval,
      deadlineMs: approval.deadline ?? null,
    },
    canary: {
      weightPercent: canary.steps?.[0] ?? canary.weightPercent,
      ...(canary.steps ? { steps: [...canary.steps] } : {}),
      minDurationMs: canary.minDuration,
      analysisIntervalMs: canary.analysisInterval,
      failureLimit: canary.failureLimit,
      inconclusiveLimit: canary.inconclusiveLimit,
      pauseReminderIntervalMs: canary.pauseReminderInterval,
      pauseDeadlineMs: canary.pauseDeadline,
      shareTolerancePp: canary.shareTolerance,
      maxShareErrorPp: canary.maxShareError,
      thresholds: { ...canary.thresholds },
    },
    hotfix: { requiredApprovals: hotfix.requiredApprovals },
    webUiUrl: config.temporal.webUiUrl,
    namespace,
  };
}
