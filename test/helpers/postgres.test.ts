// The PostgreSQL harness itself: a real server that survives a crash (kill) and a restart with its data.
import assert from 'node:assert/strict';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { after, before, test } from 'node:test';
import pg from 'pg';
import { startPostgres, type PostgresServer } from './postgres';

let server: PostgresServer;

before(async () => {
  server = await startPostgres();
});

after(async () => {
  await server?.stop();
});

async function asApp<T>(url: string, use: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await use(client);
  } finally {
    await client.end();
  }
}

test('serves the release_promote database to its owner, with the password in a 0600 file', async () => {
  assert.deepEqual(await server.query('select 1 as one'), [{ one: 1 }]);
  assert.equal(server.url, `postgres://release_promote:${server.password}@127.0.0.1:${server.port}/release_promote`);
  assert.equal(readFileSync(server.passwordFile, 'utf8'), server.password);
  assert.equal(statSync(server.passwordFile).mode & 0o777, 0o600);

  const who = await asApp(
    server.url,
    async (c) => (await c.query<{ current_user: string }>('select current_user, current_database()')).rows,
  );
  assert.deepEqual(who, [{ current_user: 'release_promote', current_database: 'release_promote' }]);
  await assert.rejects(
    asApp(server.url.replace(server.password, 'wrong'), (c) => c.query('select 1')),
    /password authentication failed/,
  );
});

test('committed data survive kill() and restart()', async () => {
  await asApp(server.url, async (c) => {
    await c.query('create table releases (id serial primary key, version text not null)');
    await c.query(`insert into releases (version) values ('1.0.0'), ('1.1.0')`);
  });
  const before = server.pid();
  // A client connected during the crash sees its connection die.
  const client = new pg.Client({ connectionString: server.url });
  // pg may emit 'error' more than once for one dead connection (reset, then end): keep listening.
  const lost = new Promise<Error>((resolve) => client.on('error', resolve));
  await client.connect();

  await server.kill();
  assert.ok((await lost) instanceof Error);
  await client.end().catch(() => undefined);
  await assert.rejects(server.query('select 1'), /ECONNREFUSED/);

  await server.restart();
  assert.notEqual(server.pid(), before);
  const rows = await asApp(
    server.url,
    async (c) => (await c.query<{ version: string }>('select version from releases order by id')).rows,
  );
  assert.deepEqual(rows, [{ version: '1.0.0' }, { version: '1.1.0' }]);
});

test('createDatabase() makes an empty database the app role owns', async () => {
  const url = await server.createDatabase('fresh-schema');
  assert.equal(url, `postgres://release_promote:${server.password}@127.0.0.1:${server.port}/fresh-schema`);
  const tables = await asApp(url, async (c) => {
    await c.query('create table t (x int)');
    return (await c.query<{ tablename: string }>(`select tablename from pg_tables where schemaname = 'public'`)).rows;
  });
  assert.deepEqual(tables, [{ tablename: 't' }]);
});

test('stop() shuts the server down and removes its directory; a second stop() is a no-op', async () => {
  const pid = server.pid();
  await server.stop();
  await server.stop();
  assert.throws(() => process.kill(pid, 0), /ESRCH/);
  assert.equal(existsSync(server.passwordFile), false);
  await assert.rejects(server.query('select 1'), /stopped/);
});
