// The records store: everything a release writes that must outlive it (the audit trail, evidence
// documents, version-record exports, the policy in force). Two implementations behind one port:
// `files` (the seed's layout on one machine's disk, the embedded default) and `postgres` (an
// installation's shared, durable store). Workers write through it; the CLI reads from it.
import type { AuditEntry, StoredAuditEntry } from '../shared/audit';
import type { EnvironmentRecords } from '../shared/ledger';
import type { ChainReport } from './audit-chain';
import type { EvidenceFiles } from './evidence';
import type { PolicyChangeEntry } from './policy-log';

export interface AppendResult {
  written: boolean;
}

/** One release run's evidence, as rendered at one moment (a stage change, or collect-evidence). */
export interface EvidenceDocument {
  version: string;
  workflowId: string;
  runId: string;
  policyDigest: string | null;
  files: EvidenceFiles;
}

export interface StoredEvidence extends EvidenceDocument {
  /** 1, 2, … per run in the postgres store (each write is kept); the files store keeps only the last (0). */
  revision: number;
  writtenAt: string;
}

export interface RecordsStore {
  /** Where the records live, for messages: "files under /srv/x", "postgres db.internal:5432/release_promote". */
  readonly description: string;
  readonly kind: 'files' | 'postgres';

  /** Appends an entry to its chain, exactly once per idempotency key (a retry writes nothing). */
  appendAudit(entry: AuditEntry): Promise<AppendResult>;
  /** A version's trail: its releases' entries and the rollbacks that concern it, in time order. */
  auditEntries(version: string): Promise<StoredAuditEntry[]>;
  /** Every entry, optionally from `since` (ISO) on, chain by chain in each chain's stored order. */
  allAuditEntries(since?: string): Promise<StoredAuditEntry[]>;
  /** Recomputes the hash chains (a version's and the rollbacks', or every chain) in stored order. */
  verifyAudit(version?: string): Promise<ChainReport[]>;

  /** Keeps a run's evidence; a write identical to the run's latest is not kept twice. */
  putEvidence(doc: EvidenceDocument): Promise<StoredEvidence>;
  /** A run's latest evidence (default: the version's latest run), or null when none is kept. */
  evidence(version: string, runId?: string): Promise<StoredEvidence | null>;

  /** Keeps a revision of an environment's version records; false when it holds this or a newer one. */
  exportVersionRecords(records: EnvironmentRecords): Promise<boolean>;
  versionRecords(environment: string): Promise<EnvironmentRecords | null>;

  /** Records the policy in force when it differs from the last recorded; null when unchanged. */
  recordPolicyInForce(entry: Omit<PolicyChangeEntry, 'action' | 'previous_digest'>): Promise<PolicyChangeEntry | null>;
  policyLog(): Promise<PolicyChangeEntry[]>;

  /** Throws a one-line reason when the store cannot be written now (readiness). */
  check(): Promise<void>;
  close(): Promise<void>;
}

/** A records operation that failed because the store is unreachable or not ready: retried by activities. */
export class RecordsStoreUnavailable extends Error {
  override readonly name = 'RecordsStoreUnavailable';
}

/** The store's schema is older than this code: a person must run `release-promote migrate`. */
export class RecordsSchemaBehind extends Error {
  override readonly name = 'RecordsSchemaBehind';
}
