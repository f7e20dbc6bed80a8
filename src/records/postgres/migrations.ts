// The postgres store's schema, as numbered migrations. `release-promote migrate` applies the ones a
// database lacks, in order, each in its own transaction, and records them in schema_migrations with
// a checksum of their SQL; a worker refuses to write until the schema is at LATEST_SCHEMA_VERSION.
// A migration, once released, is never edited: add the next one. `migrate --print` shows the SQL for
// a DBA who applies it by hand.
import { createHash } from 'node:crypto';

export interface Migration {
  version: number;
  name: string;
  sql: string;
}

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'records',
    sql: `
CREATE TABLE audit_entries (
  key         text        PRIMARY KEY,           -- the idempotency key: one row per action, ever
  chain       text        NOT NULL,              -- the version's chain, or 'rollbacks'
  position    integer     NOT NULL,              -- 1, 2, ... within the chain: the hash chain's order
  version     text        NOT NULL,
  workflow_id text        NOT NULL,
  run_id      text        NOT NULL,
  kind        text        NOT NULL,
  action      text        NOT NULL,
  at          timestamptz NOT NULL,
  entry       jsonb       NOT NULL,              -- the whole entry, prev_hash and hash included
  written_at  timestamptz NOT NULL DEFAULT now(),
  UNIQUE (chain, position)
);
CREATE INDEX audit_entries_version ON audit_entries (version);

CREATE TABLE evidence_documents (
  version        text        NOT NULL,
  run_id         text        NOT NULL,
  revision       integer     NOT NULL,           -- every write of a run is kept: 1, 2, ...
  workflow_id    text        NOT NULL,
  policy_digest  text,
  content_sha256 text        NOT NULL,
  promotion_log  text        NOT NULL,
  metrics_json   text        NOT NULL,
  approval_json  text        NOT NULL,
  written_at     timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (version, run_id, revision)
);

CREATE TABLE version_records (
  environment text        NOT NULL,
  revision    integer     NOT NULL,              -- the ledger's revision: every one is kept
  records     jsonb       NOT NULL,
  written_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (environment, revision)
);

CREATE TABLE policy_changes (
  id              bigserial   PRIMARY KEY,
  at              timestamptz NOT NULL,
  digest          text        NOT NULL,
  previous_digest text,
  changed_by      text,
  reference       text,
  config_file     text        NOT NULL,
  worker          text        NOT NULL
);
`,
  },
  {
    version: 2,
    name: 'release runs and history index',
    sql: `
-- One row per release run with the policy digest it recorded: which rules judged which run, kept
-- after Temporal's retention has removed the run's history.
CREATE TABLE release_runs (
  workflow_id   text        NOT NULL,
  run_id        text        NOT NULL,
  version       text        NOT NULL,
  policy_digest text,
  first_seen    timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (workflow_id, run_id)
);
INSERT INTO release_runs (workflow_id, run_id, version, policy_digest, first_seen)
SELECT DISTINCT ON (workflow_id, run_id) workflow_id, run_id, version, policy_digest, written_at
FROM evidence_documents ORDER BY workflow_id, run_id, revision;

-- history and DORA read the trail by time.
CREATE INDEX audit_entries_at ON audit_entries (at);
`,
  },
];

export const LATEST_SCHEMA_VERSION = MIGRATIONS.at(-1)?.version ?? 0;

export function migrationChecksum(m: Migration): string {
  return createHash('sha256').update(m.sql).digest('hex');
}
