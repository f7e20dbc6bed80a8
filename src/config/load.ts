// Reading the config file. Errors name the file, the field and what was expected, in one line each.
import { readFileSync, existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import type { z } from 'zod';
import { configSchema, type Config } from './schema';
import type { ReleasePolicy } from '../shared/policy';

export class ConfigError extends Error {
  override name = 'ConfigError';
}

export const DEFAULT_CONFIG_FILE = 'release-promote.yaml';

/** The config file to use: --config, then RELEASE_PROMOTE_CONFIG, then ./release-promote.yaml if present. */
export function configPath(explicit?: string): string | null {
  const chosen = explicit ?? process.env.RELEASE_PROMOTE_CONFIG;
  if (chosen) return resolve(chosen);
  return existsSync(DEFAULT_CONFIG_FILE) ? resolve(DEFAULT_CONFIG_FILE) : null;
}

export function loadConfig(explicit?: string): Config {
  const path = configPath(explicit);
  if (path === null) return parseConfig({}, 'built-in defaults');
  if (!existsSync(path)) throw new ConfigError(`config file ${path} does not exist`);
  let raw: unknown;
  try {
    raw = parseYaml(readFileSync(path, 'utf8')) ?? {};
  } catch (err) {
    throw new ConfigError(`config file ${path} is not valid YAML: ${(err as Error).message.split('\n')[0]}`);
  }
  return parseConfig(raw, path);
}

export function parseConfig(raw: unknown, source: string): Config {
  const result = configSchema.safeParse(raw);
  if (!result.success) throw new ConfigError(formatIssues(source, result.error));
  return result.data;
}

export function formatIssues(source: string, error: z.ZodError): string {
  const lines = error.issues.map((issue) => {
    const field = issue.path.length ? issue.path.join('.') : '(top level)';
    return `  ${field}: ${issue.message}`;
  });
  return `invalid config (${source}):\n${lines.join('\n')}`;
}

/** The rules a release is judged by, frozen into its workflow input when it starts. */
export function releasePolicy(config: Config, namespace: string): ReleasePolicy {
  const { dev, staging, approval, canary, hotfix } = config.stages;
  return {
    stagingEnvironment: staging.environment,
    productionEnvironment: canary.environment,
    devGates: { ...dev },
    soak: { durationMs: staging.soak, healthCheckIntervalMs: staging.healthCheckInterval, maxTotalMs: staging.maxTotalSoak },
    approval: {
      approvers: [...config.roles.RELEASE_APPROVER],
      separationOfDuties: approval.separationOfDuties,
      reminderIntervalMs: approval.reminderInterval,
      deadlineMs: approval.deadline ?? null,
    },
    canary: {
      weightPercent: canary.weightPercent,
      minDurationMs: canary.minDuration,
      analysisIntervalMs: canary.analysisInterval,
      failureLimit: canary.failureLimit,
      inconclusiveLimit: canary.inconclusiveLimit,
      pauseReminderIntervalMs: canary.pauseReminderInterval,
      pauseDeadlineMs: canary.pauseDeadline,
      thresholds: { ...canary.thresholds },
    },
    hotfix: { requiredApprovals: hotfix.requiredApprovals },
    webUiUrl: config.temporal.webUiUrl,
    namespace,
  };
}
