// Connection settings follow Temporal's conventions (TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE,
// TEMPORAL_API_KEY, TEMPORAL_TLS_*, TEMPORAL_PROFILE and the CLI's config file), read by envconfig.
import { Client, Connection } from '@temporalio/client';
import { loadClientConnectConfig } from '@temporalio/envconfig';
import { TemporalUnreachableError } from './errors';

export { TemporalUnreachableError };

export interface TemporalSettings {
  address: string;
  namespace: string;
  options: ReturnType<typeof loadClientConnectConfig>['connectionOptions'];
}

export function temporalSettings(): TemporalSettings {
  const { connectionOptions, namespace } = loadClientConnectConfig();
  return {
    address: connectionOptions.address ?? 'localhost:7233',
    namespace: namespace ?? 'default',
    options: connectionOptions,
  };
}

export async function connectClient(
  settings = temporalSettings(),
): Promise<{ client: Client; connection: Connection; namespace: string }> {
  try {
    const connection = await Connection.connect({
      ...settings.options,
      address: settings.address,
      connectTimeout: '5s',
    });
    return {
      client: new Client({ connection, namespace: settings.namespace }),
      connection,
      namespace: settings.namespace,
    };
  } catch (err) {
    throw new TemporalUnreachableError(
      `cannot reach Temporal at ${settings.address} (${(err as Error).message.split('\n')[0]}); start one with "release-promote dev-server" or set TEMPORAL_ADDRESS`,
    );
  }
}
