// The `postgres` records store: one database shared by every worker and read by the CLI from any
// machine. Exactly once under retries and concurrent workers: an audit entry's idempotency key is its
// primary key (INSERT … ON CONFLICT DO NOTHING), and the append of a chain's next entry holds that
// chain's transaction-scoped advisory lock, so two workers never link two entries to the same one.
// Evidence and version records are insert-only revisions.
import { createHash } from 'node:crypto';
import type pg from 'pg';
import { auditChainName, concernsVersion, type AuditEntry, type StoredAuditEntry } from '../../shared/audit';
import type { EnvironmentRecords } from '../../shared/ledger';
import { chainEntry, verifyChain, type ChainReport } from '../audit-chain';
import type { EvidenceFiles } from '../evidence';
import type { PolicyChangeEntry } from '../policy-log';
import {
  RecordsSchemaBehind,
  RecordsStoreUnavailable,
  type AppendResult,
  type EvidenceDocument,
  type RecordsStore,
  type StoredEvidence,
} from '../store';
import { createPool, describeDatabase, isUnreachable, type PostgresSettings } from './connection';
import { LATEST_SCHEMA_VERSION } from './migrations';
import { schemaVersion } from './migrate';

export class PostgresRecordsStore implements RecordsStore {
  readonly kind = 'postgres';
  readonly description: string;
  readonly pool: pg.Pool;
  private schemaChecked = false;

  constructor(settings: PostgresSettings, warn: (message: string) => void = () => undefined) {
    this.description = describeDatabase(settings.url);
    this.pool = createPool(settings, (err) =>
      warn(`records store connection lost (${this.description}): ${err.message}`),
    );
  }

  /**
   * Runs `fn` in a transaction once the schema is known to be current. An unreachable database is a
   * RecordsStoreUnavailable (the activity retries); a schema behind this code is RecordsSchemaBehind.
   */
  private async tx<T>(what: string, fn: (c: pg.PoolClient) => Promise<T>): Promise<T> {
    let client: pg.PoolClient | undefined;
    let broken: unknown;
    // A connection that dies while checked out emits 'error' on its client (the pool listens only to
    // idle ones); unheard, that event would end the worker. The query in flight fails on its own.
    const onError = (err: Error) => void (broken = err);
    try {
      client = await this.pool.connect();
      client.on('error', onError);
      await this.ensureSchema(client);
      await client.query('BEGIN');
      const result = await fn(client);
      await client.query('COMMIT');
      return result;
    } catch (err) {
      broken ??= isUnreachable(err) ? err : undefined;
      if (broken === undefined) await client?.query('ROLLBACK').catch(() => undefined);
      if (err instanceof RecordsSchemaBehind || err instanceof RecordsStoreUnavailable) throw err;
      if (isUnreachable(err))
        throw new RecordsStoreUnavailable(
          `records store ${this.description} unreachable while ${what}: ${oneLine(err)}`,
        );
      throw new Error(`records store ${this.description} failed while ${what}: ${oneLine(err)}`);
    } finally {
      client?.off('error', onError);
      // A broken connection is discarded, not handed to the next write.
      client?.release(broken !== undefined);
    }
  }

  private async ensureSchema(client: pg.PoolClient): Promise<void> {
    if (this.schemaChecked) return;
    const current = await schemaVersion(client);
    if (current < LATEST_SCHEMA_VERSION)
      throw new RecordsSchemaBehind(
        `the records schema in ${this.description} is at version ${current}, this release-promote needs ${LATEST_SCHEMA_VERSION}: run \`release-promote migrate\` with the same config`,
      );
    this.schemaChecked = true;
  }

  appendAudit(entry: AuditEntry): Promise<AppendResult> {
    const chain = auditChainName(entry);
    return this.tx(`appending audit entry ${entry.key}`, async (c) => {
      await c.query('SELECT pg_advisory_xact_lock(hashtextextended($1, 0))', [`audit:${chain}`]);
      const seen = await c.query('SELECT 1 FROM audit_entries WHERE key = $1', [entry.key]);
      if (seen.rowCount) return { written: false };
      const last = await c.query<{ position: number; entry: StoredAuditEntry }>(
        'SELECT position, entry FROM audit_entries WHERE chain = $1 ORDER BY position DESC LIMIT 1',
        [chain],
      );
      const previous = last.rows[0];
      const stored = chainEntry(entry, previous?.entry ?? null);
      const inserted = await c.query(
        `INSERT INTO audit_entries (key, chain, position, version, workflow_id, run_id, kind, action, at, entry)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) ON CONFLICT (key) DO NOTHING`,
        [
          entry.key,
          chain,
          (previous?.position ?? 0) + 1,
          entry.version,
          entry.workflow_id,
          entry.run_id,
          entry.kind,
          entry.action,
          entry.timestamp,
          stored,
        ],
      );
      return { written: inserted.rowCount === 1 };
    });
  }

  auditEntries(version: string): Promise<StoredAuditEntry[]> {
    return this.tx(`reading the audit trail of ${version}`, async (c) => {
      const { rows } = await c.query<{ entry: StoredAuditEntry }>(
        `SELECT entry FROM audit_entries
         WHERE chain = $1 OR (chain = 'rollbacks' AND (version = $1 OR entry->>'from_version' = $1))
         ORDER BY at, (entry->>'seq')::int`,
        [version],
      );
      return rows.map((r) => r.entry).filter((e) => concernsVersion(e, version));
    });
  }

  allAuditEntries(since?: string): Promise<StoredAuditEntry[]> {
    return this.tx('reading the audit trail', async (c) => {
      const { rows } = await c.query<{ entry: StoredAuditEntry }>(
        `SELECT entry FROM audit_entries WHERE $1::timestamptz IS NULL OR at >= $1 ORDER BY chain, position`,
        [since ?? null],
      );
      return rows.map((r) => r.entry);
    });
  }

  verifyAudit(version?: string): Promise<ChainReport[]> {
    return this.tx('verifying the audit trail', async (c) => {
      const chains = version
        ? [version, 'rollbacks']
        : (await c.query<{ chain: string }>('SELECT DISTINCT chain FROM audit_entries ORDER BY chain')).rows.map(
            (r) => r.chain,
          );
      const reports: ChainReport[] = [];
      for (const chain of chains) {
        const { rows } = await c.query<AuditRow>(
          'SELECT key, chain, position, version, workflow_id, run_id, kind, action, at, entry FROM audit_entries WHERE chain = $1 ORDER BY position',
          [chain],
        );
        if (rows.length === 0) continue;
        const mismatch = rows.findIndex((r) => !columnsMatch(r));
        const report = verifyChain(
          chain,
          rows.map((r) => r.entry),
          rows.map((r) => r.position),
        );
        // A row whose indexed columns were changed apart from its entry hides it from queries: name it.
        const row = rows[mismatch];
        if (row && (report.broken === null || report.broken.position > row.position))
          report.broken = {
            position: row.position,
            key: row.key,
            problem: `row ${row.key} was altered: its columns (version, time, action…) no longer match its hashed entry`,
          };
        reports.push(report);
      }
      return reports;
    });
  }

  putEvidence(doc: EvidenceDocument): Promise<StoredEvidence> {
    const sha = createHash('sha256')
      .update(doc.files['promotion.log'])
      .update('\0')
      .update(doc.files['metrics.json'])
      .update('\0')
      .update(doc.files['approval.json'])
      .digest('hex');
    return this.tx(`keeping the evidence of ${doc.version} run ${doc.runId}`, async (c) => {
      await c.query('SELECT pg_advisory_xact_lock(hashtextextended($1, 0))', [`evidence:${doc.version}/${doc.runId}`]);
      await c.query(
        `INSERT INTO release_runs (workflow_id, run_id, version, policy_digest) VALUES ($1, $2, $3, $4)
         ON CONFLICT (workflow_id, run_id) DO NOTHING`,
        [doc.workflowId, doc.runId, doc.version, doc.policyDigest],
      );
      const latest = await c.query<EvidenceRow>(
        `${EVIDENCE_SELECT} WHERE version = $1 AND run_id = $2 ORDER BY revision DESC LIMIT 1`,
        [doc.version, doc.runId],
      );
      const last = latest.rows[0];
      // The same document again (a retried activity, a stage change that altered nothing shown) is not kept twice.
      if (last && last.content_sha256 === sha) return fromRow(last);
      const { rows } = await c.query<EvidenceRow>(
        `INSERT INTO evidence_documents (version, run_id, revision, workflow_id, policy_digest, content_sha256, promotion_log, metrics_json, approval_json)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
         RETURNING version, run_id, revision, workflow_id, policy_digest, content_sha256, promotion_log, metrics_json, approval_json, written_at`,
        [
          doc.version,
          doc.runId,
          (last?.revision ?? 0) + 1,
          doc.workflowId,
          doc.policyDigest,
          sha,
          doc.files['promotion.log'],
          doc.files['metrics.json'],
          doc.files['approval.json'],
        ],
      );
      return fromRow(rows[0] as EvidenceRow);
    });
  }

  evidence(version: string, runId?: string): Promise<StoredEvidence | null> {
    return this.tx(`reading the evidence of ${version}`, async (c) => {
      const run =
        runId ??
        (
          await c.query<{ run_id: string }>(
            `SELECT run_id FROM release_runs WHERE version = $1 ORDER BY first_seen DESC, run_id DESC LIMIT 1`,
            [version],
          )
        ).rows[0]?.run_id;
      if (run === undefined) return null;
      const { rows } = await c.query<EvidenceRow>(
        `${EVIDENCE_SELECT} WHERE version = $1 AND run_id = $2 ORDER BY revision DESC LIMIT 1`,
        [version, run],
      );
      return rows[0] ? fromRow(rows[0]) : null;
    });
  }

  exportVersionRecords(records: EnvironmentRecords): Promise<boolean> {
    const kept = {
      environment: records.environment,
      revision: records.revision,
      current: records.current,
      previous: records.previous,
    };
    return this.tx(`keeping revision ${records.revision} of the ${records.environment} version records`, async (c) => {
      const inserted = await c.query(
        `INSERT INTO version_records (environment, revision, records) VALUES ($1, $2, $3)
         ON CONFLICT (environment, revision) DO NOTHING`,
        [records.environment, records.revision, kept],
      );
      return inserted.rowCount === 1;
    });
  }

  versionRecords(environment: string): Promise<EnvironmentRecords | null> {
    return this.tx(`reading the ${environment} version records`, async (c) => {
      const { rows } = await c.query<{ records: EnvironmentRecords }>(
        'SELECT records FROM version_records WHERE environment = $1 ORDER BY revision DESC LIMIT 1',
        [environment],
      );
      return rows[0]?.records ?? null;
    });
  }

  recordPolicyInForce(entry: Omit<PolicyChangeEntry, 'action' | 'previous_digest'>): Promise<PolicyChangeEntry | null> {
    return this.tx('recording the policy in force', async (c) => {
      await c.query("SELECT pg_advisory_xact_lock(hashtextextended('policy', 0))");
      const last = (await c.query<{ digest: string }>('SELECT digest FROM policy_changes ORDER BY id DESC LIMIT 1'))
        .rows[0];
      if (last?.digest === entry.digest) return null;
      const line: PolicyChangeEntry = { ...entry, action: 'policy_change', previous_digest: last?.digest ?? null };
      await c.query(
        `INSERT INTO policy_changes (at, digest, previous_digest, changed_by, reference, config_file, worker)
         VALUES ($1, $2, $3, $4, $5, $6, $7)`,
        [
          line.timestamp,
          line.digest,
          line.previous_digest,
          line.changed_by,
          line.reference,
          line.config_file,
          line.worker,
        ],
      );
      return line;
    });
  }

  policyLog(): Promise<PolicyChangeEntry[]> {
    return this.tx('reading the policy log', async (c) => {
      const { rows } = await c.query<Omit<PolicyChangeEntry, 'timestamp' | 'action'> & { at: Date }>(
        'SELECT at, digest, previous_digest, changed_by, reference, config_file, worker FROM policy_changes ORDER BY id',
      );
      return rows.map(({ at, ...r }) => ({ timestamp: at.toISOString(), action: 'policy_change' as const, ...r }));
    });
  }

  async check(): Promise<void> {
    await this.tx('checking the store', (c) => c.query('SELECT 1'));
  }

  async close(): Promise<void> {
    await this.pool.end();
  }
}

interface AuditRow {
  key: string;
  chain: string;
  position: number;
  version: string;
  workflow_id: string;
  run_id: string;
  kind: string;
  action: string;
  at: Date;
  entry: StoredAuditEntry;
}

function columnsMatch(r: AuditRow): boolean {
  const e = r.entry;
  return (
    r.key === e.key &&
    r.chain === auditChainName(e) &&
    r.version === e.version &&
    r.workflow_id === e.workflow_id &&
    r.run_id === e.run_id &&
    r.kind === e.kind &&
    r.action === e.action &&
    r.at.getTime() === Date.parse(e.timestamp)
  );
}

const EVIDENCE_SELECT =
  'SELECT version, run_id, revision, workflow_id, policy_digest, content_sha256, promotion_log, metrics_json, approval_json, written_at FROM evidence_documents';

interface EvidenceRow {
  version: string;
  run_id: string;
  revision: number;
  workflow_id: string;
  policy_digest: string | null;
  content_sha256: string;
  promotion_log: string;
  metrics_json: string;
  approval_json: string;
  written_at: Date;
}

function fromRow(r: EvidenceRow): StoredEvidence {
  const files: EvidenceFiles = {
    'promotion.log': r.promotion_log,
    'metrics.json': r.metrics_json,
    'approval.json': r.approval_json,
  };
  return {
    version: r.version,
    workflowId: r.workflow_id,
    runId: r.run_id,
    policyDigest: r.policy_digest,
    files,
    revision: r.revision,
    writtenAt: r.written_at.toISOString(),
  };
}

function oneLine(err: unknown): string {
  return ((err as Error).message ?? String(err)).split('\n')[0] ?? '';
}
