// One audit trail entry: the seed's fields (version, timestamp, action, from_stage, to_stage,
// approved_by, ci_run_id, commit_sha) with the seed's stage words, plus where it came from and why.
import type { ReleaseKind, ReleaseStage } from './release';

export type AuditAction =
  | 'start'
  | 'refuse'
  | 'gate'
  | 'approval_request'
  | 'approve'
  | 'reject'
  /** A move from one of the seed's stages to the next (dev → staging → canary → production). */
  | 'promote'
  /** A step inside one seed stage (deployed to staging → soaking → waiting for approval). */
  | 'progress'
  | 'pause'
  | 'soak_restart'
  | 'resume'
  | 'rollback'
  | 'rollback_failed'
  | 'hotfix_approve'
  | 'cancel'
  | 'record_version'
  | 'finish';

/** The seed's stages: where a version is in the pipeline (RELEASE-PROMOTE.md's words). */
export type SeedStage = 'dev' | 'staging' | 'canary' | 'production';

export interface AuditEntry {
  /** Idempotency key: the same action is written once even when its activity runs twice. */
  key: string;
  seq: number;
  version: string;
  timestamp: string;
  action: AuditAction;
  /**
   * The seed's stage (a SeedStage: dev, staging, canary, production) the action starts from and leads
   * to; equal when it is not a promotion. An environment named otherwise appears under its own name.
   */
  from_stage: string | null;
  to_stage: string | null;
  /** Who approved or decided: comma-separated when two approved (a hotfix). */
  approved_by: string | null;
  ci_run_id: string | null;
  commit_sha: string | null;
  workflow_id: string;
  run_id: string;
  kind: ReleaseKind | 'rollback' | 'record';
  /** One line: why this happened. */
  reason: string;
  channel: string | null;
  /** The release's own, finer stage after the action (STAGING_SOAK, CANARY_PAUSED, ROLLED_BACK…). */
  internal_stage: string | null;
  /** Rollbacks: the version rolled away from and the version restored. */
  from_version: string | null;
  to_version: string | null;
}

/**
 * An entry as a records store keeps it: chained to the entry before it in its chain (tamper
 * evidence). Both fields are absent on entries written before chaining existed.
 */
export interface StoredAuditEntry extends AuditEntry {
  /** The hash of the previous entry of the chain; null for the first. */
  prev_hash?: string | null;
  /** sha256 over this entry's canonical JSON (prev_hash included, hash left out). */
  hash?: string;
}

/** The chain an entry belongs to: its version's, or the environment's rollbacks ('rollbacks'). */
export function auditChainName(entry: Pick<AuditEntry, 'kind' | 'version'>): string {
  return entry.kind === 'rollback' ? 'rollbacks' : entry.version;
}

/** Which audit file an entry belongs in: a release's own, or the environment's rollbacks. */
export function auditFileName(entry: Pick<AuditEntry, 'kind' | 'version' | 'workflow_id'>): string {
  return `${auditChainName(entry)}.jsonl`;
}

/** A manual rollback's entries belong to the trails of the version it restores and the one it replaces. */
export function concernsVersion(entry: AuditEntry, version: string): boolean {
  return entry.kind === 'rollback'
    ? entry.version === version || entry.from_version === version
    : entry.version === version;
}

/** The seed stage a release is in after moving to `to`: it advances only when it is deployed further. */
export function seedStageAfter(current: SeedStage, to: ReleaseStage): SeedStage {
  switch (to) {
    case 'DEPLOYING_STAGING':
      return 'staging';
    case 'CANARY':
      return 'canary';
    case 'PRODUCTION_ROLLOUT':
    case 'PROMOTED':
      return 'production';
    default:
      return current;
  }
}

/** What a move to `to` is, in the audit trail's words. */
export function auditActionFor(
  fromSeed: SeedStage,
  toSeed: SeedStage,
  to: ReleaseStage,
  terminal: boolean,
): AuditAction {
  if (terminal) return 'finish';
  if (fromSeed !== toSeed) return 'promote';
  if (to === 'ROLLING_BACK') return 'rollback';
  if (to === 'CANARY_PAUSED') return 'pause';
  return 'progress';
}

/** The seed's word for an environment: its stage when it is the staging or production environment. */
export function seedStageOfEnvironment(environment: string, staging: string, production: string): string {
  return environment === production ? 'production' : environment === staging ? 'staging' : environment;
}

/** What an audit entry records; its idempotency key is built from the run and the sequence number. */
export type AuditFacts = Omit<AuditEntry, 'key'>;

export function auditEntry(facts: AuditFacts): AuditEntry {
  return { key: `${facts.workflow_id}/${facts.run_id}/${facts.seq}`, ...facts };
}
