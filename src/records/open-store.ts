// Opens the records store the config names. The settings are the config's `records` section
// (src/config/records-schema.ts), described here structurally so `records` imports only `shared`.
// The postgres store (and node-postgres with it) is loaded only when the config names it: a CLI
// command over the files store does not pay for it.
import { FileRecordsStore, type FileStoreSettings } from './file-store';
import type * as PostgresStore from './postgres/store';
import type { RecordsStore } from './store';

export interface RecordsSettings extends FileStoreSettings {
  store: 'files' | 'postgres';
  postgres?:
    | {
        url: string;
        passwordFile?: string | undefined;
        passwordEnv?: string | undefined;
        tls: { mode: 'disable' | 'require' | 'verify-full'; caFile?: string | undefined };
        poolSize: number;
        connectTimeout: number;
        statementTimeout: number;
      }
    | undefined;
}

export function openRecordsStore(settings: RecordsSettings, warn?: (message: string) => void): RecordsStore {
  if (settings.store === 'files') return new FileRecordsStore(settings);
  return openPostgresStore(settings, warn);
}

export function openPostgresStore(
  settings: RecordsSettings,
  warn?: (message: string) => void,
): PostgresStore.PostgresRecordsStore {
  const pg = settings.postgres;
  if (!pg) throw new Error('records.store is postgres but records.postgres is missing');
  // `require`, not `import()`: the build is CommonJS, and a source checkout's CLI registers tsx for CommonJS only.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { PostgresRecordsStore } = require('./postgres/store') as typeof PostgresStore;
  return new PostgresRecordsStore(
    {
      url: pg.url,
      passwordFile: pg.passwordFile,
      passwordEnv: pg.passwordEnv,
      tls: pg.tls,
      poolSize: pg.poolSize,
      connectTimeoutMs: pg.connectTimeout,
      statementTimeoutMs: pg.statementTimeout,
    },
    warn,
  );
}
