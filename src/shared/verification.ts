// Verification of an environment, printed as the seed shows it: "✓ api-gateway: v1.2.2 (healthy)".
import type { ServiceHealth } from './release';

export interface VerificationLine {
  service: string;
  version: string | null;
  healthy: boolean;
  ok: boolean;
  line: string;
}

export interface VerificationReport {
  environment: string;
  expectedVersion: string;
  ok: boolean;
  services: VerificationLine[];
}

/**
 * Every configured service must run `expectedVersion`, be healthy and have no canary left beside it
 * (a canary still takes a share of the traffic, so the environment does not run only that version).
 * A missing service fails.
 */
export function verifyServices(
  environment: string,
  expectedVersion: string,
  services: string[],
  stable: ServiceHealth[],
  canary: ServiceHealth[],
): VerificationReport {
  const lines = services.map((service): VerificationLine => {
    const h = stable.find((x) => x.service === service);
    const leftover = canary.find((x) => x.service === service);
    const version = h?.version ?? null;
    const healthy = h?.healthy ?? false;
    const ok = healthy && version === expectedVersion && !leftover;
    const state = h ? (healthy ? 'healthy' : `unhealthy: ${h.detail}`) : 'not found';
    const mismatch = version !== null && version !== expectedVersion ? `, expected ${expectedVersion}` : '';
    const canaryNote = leftover ? `, canary ${leftover.version ?? '?'} still deployed` : '';
    return {
      service,
      version,
      healthy,
      ok,
      line: `${ok ? '✓' : '✗'} ${service}: ${version ?? '-'} (${state}${mismatch}${canaryNote})`,
    };
  });
  return { environment, expectedVersion, ok: lines.every((l) => l.ok), services: lines };
}

/** `release-promote verify`: an environment, and the version it should run (default: the recorded one). */
export interface VerificationRequest {
  environment: string;
  version: string | null;
}

export type VerificationOutcome =
  | { refused: null; report: VerificationReport }
  /** Not verified: why (an environment the installation does not define, no version recorded). */
  | { refused: string; report: null };
