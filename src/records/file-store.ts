// The `files` records store: the seed's layout on this machine's disk (the embedded default, for the
// demo and a single machine). Audit trail operational_audit/releases/<version>.jsonl and
// rollbacks.jsonl, evidence TEST/release/<version>/ (each run's own copy in runs/<run id>/),
// version-record exports operational_audit/sot/<environment>.json, the policy log policy.jsonl.
// Several worker processes on one disk take turns through lock files; several machines need postgres.
import { accessSync, constants, existsSync, mkdirSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { AuditEntry, StoredAuditEntry } from '../shared/audit';
import type { EnvironmentRecords } from '../shared/ledger';
import { appendAuditEntry, parseLines, readAuditEntries } from './audit-log';
import { verifyChain, type ChainReport } from './audit-chain';
import { evidenceRuns, runEvidenceDir, writeEvidenceFiles, EVIDENCE_FILE_NAMES, type EvidenceFiles } from './evidence';
import { POLICY_AUDIT_FILE, readPolicyLog, recordPolicyInForce, type PolicyChangeEntry } from './policy-log';
import { readJson } from './atomic-json';
import { exportVersionRecords, versionRecordsPath } from './version-records';
import type { AppendResult, EvidenceDocument, RecordsStore, StoredEvidence } from './store';

export interface FileStoreSettings {
  auditDir: string;
  evidenceDir: string;
  sotDir: string;
}

export class FileRecordsStore implements RecordsStore {
  readonly kind = 'files';
  readonly description: string;
  private readonly auditDir: string;
  private readonly evidenceDir: string;
  private readonly sotDir: string;

  constructor(settings: FileStoreSettings) {
    this.auditDir = resolve(settings.auditDir);
    this.evidenceDir = resolve(settings.evidenceDir);
    this.sotDir = resolve(settings.sotDir);
    this.description = `files under ${this.auditDir}, ${this.evidenceDir} and ${this.sotDir}`;
  }

  appendAudit(entry: AuditEntry): Promise<AppendResult> {
    return appendAuditEntry(this.auditDir, entry);
  }

  auditEntries(version: string): Promise<StoredAuditEntry[]> {
    return Promise.resolve(readAuditEntries(this.auditDir, version));
  }

  allAuditEntries(since?: string): Promise<StoredAuditEntry[]> {
    const all = this.chainNames().flatMap((chain) => parseLines(join(this.auditDir, `${chain}.jsonl`)));
    return Promise.resolve(since ? all.filter((e) => e.timestamp >= since) : all);
  }

  verifyAudit(version?: string): Promise<ChainReport[]> {
    const chains = version ? [version, 'rollbacks'] : this.chainNames();
    return Promise.resolve(
      chains
        .filter((chain) => existsSync(join(this.auditDir, `${chain}.jsonl`)))
        .map((chain) => verifyChain(chain, this.chainLines(chain))),
    );
  }

  /** Every line of a chain's file in order; a line that is not JSON stands as an unhashed entry. */
  private chainLines(chain: string): StoredAuditEntry[] {
    return readFileSync(join(this.auditDir, `${chain}.jsonl`), 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((line, i) => {
        try {
          return JSON.parse(line) as StoredAuditEntry;
        } catch {
          return { key: `line ${i + 1} (not JSON)` } as StoredAuditEntry;
        }
      });
  }

  private chainNames(): string[] {
    if (!existsSync(this.auditDir)) return [];
    return readdirSync(this.auditDir)
      .filter((f) => f.endsWith('.jsonl') && f !== POLICY_AUDIT_FILE)
      .map((f) => f.slice(0, -'.jsonl'.length))
      .sort();
  }

  putEvidence(doc: EvidenceDocument): Promise<StoredEvidence> {
    writeEvidenceFiles(this.evidenceDir, doc.version, doc.runId, doc.files);
    return Promise.resolve({ ...doc, revision: 0, writtenAt: new Date().toISOString() });
  }

  evidence(version: string, runId?: string): Promise<StoredEvidence | null> {
    const dir = runId ? runEvidenceDir(this.evidenceDir, version, runId) : join(this.evidenceDir, version);
    if (!EVIDENCE_FILE_NAMES.every((f) => existsSync(join(dir, f)))) return Promise.resolve(null);
    const files = Object.fromEntries(
      EVIDENCE_FILE_NAMES.map((f) => [f, readFileSync(join(dir, f), 'utf8')]),
    ) as unknown as EvidenceFiles;
    const metrics = JSON.parse(files['metrics.json']) as {
      workflowId: string;
      runId: string;
      policyDigest: string | null;
    };
    return Promise.resolve({
      version,
      workflowId: metrics.workflowId,
      runId: metrics.runId,
      policyDigest: metrics.policyDigest,
      files,
      revision: 0,
      writtenAt: statSync(join(dir, 'metrics.json')).mtime.toISOString(),
    });
  }

  /** The runs of a version whose evidence is kept. */
  runs(version: string): string[] {
    return evidenceRuns(this.evidenceDir, version);
  }

  exportVersionRecords(records: EnvironmentRecords): Promise<boolean> {
    return exportVersionRecords(this.sotDir, records);
  }

  versionRecords(environment: string): Promise<EnvironmentRecords | null> {
    try {
      return Promise.resolve(readJson<EnvironmentRecords>(versionRecordsPath(this.sotDir, environment)));
    } catch {
      // A torn or hand-edited export is no worse than none: a ledger starting from it starts empty.
      return Promise.resolve(null);
    }
  }

  recordPolicyInForce(entry: Omit<PolicyChangeEntry, 'action' | 'previous_digest'>): Promise<PolicyChangeEntry | null> {
    return recordPolicyInForce(this.auditDir, entry);
  }

  policyLog(): Promise<PolicyChangeEntry[]> {
    return Promise.resolve(readPolicyLog(this.auditDir));
  }

  check(): Promise<void> {
    for (const dir of [this.auditDir, this.evidenceDir, this.sotDir]) {
      try {
        mkdirSync(dir, { recursive: true });
        accessSync(dir, constants.W_OK);
      } catch (err) {
        return Promise.reject(new Error(`records directory ${dir} is not writable: ${(err as Error).message}`));
      }
    }
    return Promise.resolve();
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}
