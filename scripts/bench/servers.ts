// The Temporal dev server each N runs on: the project's own (src/servers/dev-server.ts, as
// `release-promote dev-server` and the demo run it), so the release search attributes are registered
// the same way. A fresh in-memory server per N keeps one N's workflows and visibility rows from
// slowing the next.
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { startDevServer, type DevServer } from '../../src/servers/dev-server';

export interface BenchServer {
  server: DevServer;
  connection: Connection;
  client: Client;
  close(): Promise<void>;
}

export async function startBenchServer(dir: string): Promise<BenchServer> {
  const server = await startDevServer({
    port: 0,
    headless: true,
    logFile: path.join(dir, 'dev-server.log'),
    // A cold start while another server is still exiting can take longer than the usual 30 s.
    startTimeoutMs: 90_000,
  });
  try {
    const connection = await Connection.connect({ address: server.address });
    const client = new Client({ connection, namespace: server.namespace });
    return {
      server,
      connection,
      client,
      async close() {
        await connection.close().catch(() => undefined);
        await server.stop();
      },
    };
  } catch (err) {
    await server.stop();
    throw err;
  }
}
