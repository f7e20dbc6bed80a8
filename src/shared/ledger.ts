// The per-environment ledger: who may change the environment now (a lease, with a visible queue) and
// which versions it has run (the version records, or source of truth). One long-lived workflow per
// environment owns both, so every worker sees the same records and changes are serialized.
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';

export interface VersionRecord {
  version: string;
  promotedBy: string;
  promotedAt: string;
  /** promote: a release reached production; rollback: a rollback restored it; manual: update-sot. */
  action: 'promote' | 'rollback' | 'manual';
  workflowId: string | null;
}

/** `update-sot`: a person records which version runs in an environment. */
export interface ManualRecordInput {
  environment: string;
  version: string;
  promotedBy: string;
  promotedAt: string;
  channel: string;
}

export interface ManualRecordResult {
  ok: boolean;
  reason: string;
  revision: number | null;
}

export interface LeaseHolder {
  workflowId: string;
  purpose: string;
  since: string;
}

export interface LeaseRequest {
  workflowId: string;
  purpose: string;
  /** Rollbacks go to the front of the queue; their caller then cancels the current holder. */
  preempt: boolean;
}

export interface LeaseAnswer {
  granted: boolean;
  holder: LeaseHolder | null;
  /** 1 = next in line; 0 when granted. */
  position: number;
}

/** An environment a rollback could not restore: only a rollback may change it until one succeeds. */
export interface EnvironmentBlock {
  workflowId: string;
  reason: string;
  since: string;
}

export interface EnvironmentRecords {
  environment: string;
  /** Increases with every change, so an export never overwrites a newer one. */
  revision: number;
  current: VersionRecord | null;
  /** Earlier versions, newest first. */
  previous: VersionRecord[];
  lease: LeaseHolder | null;
  queue: LeaseRequest[];
  /** Set when a release ended ROLLBACK_FAILED here; cleared by a rollback or a manual record. */
  blocked?: EnvironmentBlock | null;
}

export interface EnvironmentLedgerInput {
  environment: string;
  /** Carried across continue-as-new, or the last export when a ledger has to start afresh. */
  state?: EnvironmentRecords;
}

/** An environment nothing has been recorded for yet. */
export function emptyRecords(environment: string): EnvironmentRecords {
  return { environment, revision: 0, current: null, previous: [], lease: null, queue: [] };
}

export const acquireEnvironmentUpdate = defineUpdate<LeaseAnswer, [LeaseRequest]>('acquireEnvironment');
export interface LeaseRelease {
  workflowId: string;
  /** The holder leaves the environment in a state it could not repair (ROLLBACK_FAILED): why. */
  blockedBecause?: string;
}

export const releaseEnvironmentUpdate = defineUpdate<void, [LeaseRelease]>('releaseEnvironment');

// Lease requests and releases by signal. A workflow takes at most 10 Updates in flight, so a burst
// of releases asking one ledger by Update fails on that limit; signals queue without one (and a
// query per request would queue on the ledger's one workflow thread instead). The ledger answers
// each request by signal (granted, or queued with its position) and grants a queued request later
// with environmentGrantedSignal. Requests are idempotent per workflow ID.
export const requestLeaseSignal = defineSignal<[LeaseRequest]>('requestLease');
export const releaseLeaseSignal = defineSignal<[LeaseRelease]>('releaseLease');
export interface EnvironmentLeaseAnswer extends LeaseAnswer {
  environment: string;
}
export const leaseAnswerSignal = defineSignal<[EnvironmentLeaseAnswer]>('leaseAnswer');

export const recordVersionUpdate = defineUpdate<EnvironmentRecords, [VersionRecord]>('recordVersion');
export const environmentRecordsQuery = defineQuery<EnvironmentRecords>('environmentRecords');

/** Versions a rollback may target: every version that once ran there, except the current one. */
export function rollbackCandidates(records: EnvironmentRecords): string[] {
  const current = records.current?.version ?? null;
  return [...new Set(records.previous.map((r) => r.version))].filter((v) => v !== current);
}

/**
 * "The previous version": what ran before the current version first came to run. A rollback record
 * returns to an earlier run of its version, so the search continues from that run; otherwise a
 * second `rollback` after v3.2.0 → v3.1.0 would go "back" to the v3.2.0 just rolled away from.
 */
export function previousVersion(records: EnvironmentRecords): string | null {
  if (records.current === null) return null;
  const runs = [records.current, ...records.previous];
  let at = 0;
  while (runs[at]!.action === 'rollback') {
    const earlier = runs.findIndex((r, i) => i > at && r.version === runs[at]!.version);
    if (earlier === -1) break;
    at = earlier;
  }
  return runs.slice(at + 1).find((r) => r.version !== records.current!.version)?.version ?? null;
}
