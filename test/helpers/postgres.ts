// A real, throw-away PostgreSQL server for the tests that need a database: Debian's postgresql-15
// from scripts/postgres/ensure-postgres.sh (POSTGRES_BIN_DIR wins), with its own data directory in a
// temporary directory, on a free loopback port.
//
// initdb and postgres refuse to run as root, so as root both run as `nobody` through setpriv (which
// execs: the spawned PID is the postmaster's) and the temporary directory belongs to nobody. The cache
// usually lives under /root (mode 0700, closed to nobody), so when nobody cannot run the binaries where
// they are, the installation is hard-linked (copied across file systems) into the temporary directory.
//
// Durability is traded for speed only where a process crash cannot tell: fsync and full_page_writes are
// off (what a commit wrote reaches the kernel, which survives kill(); only a machine crash would lose
// it). synchronous_commit stays on: off, the last commits would still be in shared memory when kill()
// strikes, and a test of crash recovery would lose them.
//
// Superuser `postgres` (password auth over TCP, trust on the Unix socket); role `release_promote`
// (LOGIN, random password) owns database `release_promote` and whatever createDatabase() makes.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  chownSync,
  closeSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readFileSync,
  readdirSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { eventually } from './eventually';

const execFileAsync = promisify(execFile);

export interface PostgresServer {
  /** postgres://release_promote:<password>@127.0.0.1:<port>/release_promote */
  url: string;
  host: string;
  port: number;
  database: string;
  user: string;
  password: string;
  /** A file holding the password alone (mode 0600), for configs that read the password from a file. */
  passwordFile: string;
  /** PID of the postmaster. */
  pid(): number;
  /** SIGKILL the postmaster and every backend of this data directory (as a crash would), and wait until the port is free. */
  kill(): Promise<void>;
  /** Start again on the same data directory and port; waits until it accepts connections (crash recovery may take a moment). */
  restart(): Promise<void>;
  /** Runs SQL as the superuser on the release_promote database and returns rows. */
  query<T = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<T[]>;
  /** Creates another empty database owned by release_promote and returns its URL (tests that need a fresh schema each). */
  createDatabase(name: string): Promise<string>;
  /** Fast shutdown (SIGINT; SIGKILL after 10 s), then removes the temporary directory. Idempotent. */
  stop(): Promise<void>;
}

const REPO_ROOT = resolve(__dirname, '..', '..');
const ENSURE_SCRIPT = join(REPO_ROOT, 'scripts', 'postgres', 'ensure-postgres.sh');
const HOST = '127.0.0.1';
const SUPERUSER = 'postgres';
const APP_USER = 'release_promote';
const APP_DATABASE = 'release_promote';
const READY_TIMEOUT_MS = 30_000;

interface Installation {
  binDir: string;
  /** Directories to prepend to LD_LIBRARY_PATH (libraries this machine lacks), or ''. */
  libraryPath: string;
}

let installationPromise: Promise<Installation> | undefined;

/** From scripts/postgres/ensure-postgres.sh --print-env: only checks files when the cache is warm, downloads otherwise. */
function resolveInstallation(): Promise<Installation> {
  installationPromise ??= new Promise<Installation>((resolvePromise, reject) => {
    execFile('bash', [ENSURE_SCRIPT, '--print-env'], { maxBuffer: 1 << 20 }, (err, stdout, stderr) => {
      if (err) {
        reject(
          new Error(
            `PostgreSQL is needed for these tests and ${ENSURE_SCRIPT} failed: ${stderr.trim() || err.message}`,
          ),
        );
        return;
      }
      const env: Record<string, string> = {};
      for (const line of stdout.split('\n')) {
        const m = /^export (\w+)='(.*)'$/.exec(line.trim());
        if (m) env[m[1]!] = m[2]!.replace(/'\\''/g, "'");
      }
      const binDir = env.POSTGRES_BIN_DIR;
      if (!binDir) reject(new Error(`unexpected output from ${ENSURE_SCRIPT}: ${stdout}`));
      else resolvePromise({ binDir, libraryPath: env.POSTGRES_LD_LIBRARY_PATH ?? '' });
    });
  });
  installationPromise.catch(() => (installationPromise = undefined));
  return installationPromise;
}

/** Whom initdb and postgres run as when this process is root. */
interface RunAs {
  uid: number;
  gid: number;
  name: string;
}

/** `nobody` when this process is root, else undefined (the server runs as ourselves). */
function unprivilegedUser(): RunAs | undefined {
  if (process.getuid?.() !== 0) return undefined;
  try {
    for (const line of readFileSync('/etc/passwd', 'utf8').split('\n')) {
      const [name, , uid, gid] = line.split(':');
      if (name === 'nobody' && uid && gid) return { name, uid: Number(uid), gid: Number(gid) };
    }
  } catch {
    // fall through to Debian's numbers
  }
  return { name: 'nobody', uid: 65534, gid: 65534 };
}

/** The command line that runs `binary` as `runAs` (setpriv execs, so the PID is the binary's own). */
function command(runAs: RunAs | undefined, binary: string, args: string[]): [string, string[]] {
  if (!runAs) return [binary, args];
  return ['setpriv', [`--reuid=${runAs.uid}`, `--regid=${runAs.gid}`, '--clear-groups', '--', binary, ...args]];
}

function childEnv(libraryPath: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, LC_ALL: 'C' };
  if (libraryPath) env.LD_LIBRARY_PATH = [libraryPath, process.env.LD_LIBRARY_PATH].filter(Boolean).join(':');
  return env;
}

/**
 * The installation as `runAs` can use it: unchanged when it can run postgres there, else hard-linked
 * (or copied) into `dir`. Debian's layout (`<root>/usr/lib/postgresql/<major>/bin`) is relocatable:
 * postgres finds its share and lib directories relative to its own path.
 */
async function usableInstallation(inst: Installation, runAs: RunAs | undefined, dir: string): Promise<Installation> {
  if (!runAs) return inst;
  // Not `postgres --version`, which may run where initdb still cannot use it (it checks its own path).
  const [postgres, initdb] = [join(inst.binDir, 'postgres'), join(inst.binDir, 'initdb')];
  const [file, args] = command(runAs, 'test', [
    '-r',
    postgres,
    '-a',
    '-x',
    postgres,
    '-a',
    '-r',
    initdb,
    '-a',
    '-x',
    initdb,
  ]);
  const runs = await execFileAsync(file, args).then(
    () => true,
    () => false,
  );
  if (runs) return inst;
  const m = /^(.*)\/usr\/lib\/postgresql\/[^/]+\/bin\/?$/.exec(inst.binDir);
  if (!m?.[1])
    throw new Error(
      `user ${runAs.name} cannot run ${inst.binDir}/postgres and that is not a Debian layout this harness can copy; set POSTGRES_BIN_DIR to binaries ${runAs.name} can reach`,
    );
  const root = m[1];
  const mirror = join(dir, 'install');
  mkdirSync(mirror);
  await execFileAsync('cp', ['-al', join(root, 'usr'), mirror]).catch(async () => {
    rmSync(join(mirror, 'usr'), { recursive: true, force: true });
    await execFileAsync('cp', ['-a', join(root, 'usr'), mirror]);
  });
  const moved = (p: string) => (p === root || p.startsWith(`${root}/`) ? mirror + p.slice(root.length) : p);
  return {
    binDir: moved(inst.binDir),
    libraryPath: inst.libraryPath.split(':').filter(Boolean).map(moved).join(':'),
  };
}

function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const srv = createServer();
    srv.unref();
    srv.once('error', reject);
    srv.listen(0, HOST, () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolvePort(port));
    });
  });
}

/** Something accepts connections on the port. */
function portOpen(port: number): Promise<boolean> {
  return new Promise((resolveOpen) => {
    const socket = connect({ host: HOST, port });
    const done = (open: boolean) => {
      socket.destroy();
      resolveOpen(open);
    };
    socket.setTimeout(1_000, () => done(true));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

function tail(file: string, lines = 30): string {
  try {
    return readFileSync(file, 'utf8').split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

/** `pid`'s state letter and parent from /proc (undefined when it is gone). */
function procStat(pid: number): { state: string; ppid: number } | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // "pid (comm) state ppid ...": comm may hold spaces and parentheses, so split after the last ')'.
    const [state, ppid] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return state && ppid ? { state, ppid: Number(ppid) } : undefined;
  } catch {
    return undefined;
  }
}

function childPids(parent: number): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    if (procStat(Number(entry))?.ppid === parent) pids.push(Number(entry));
  }
  return pids;
}

/** Gone, or a zombie (reparented children are reaped by whatever init this machine has, if any). */
function gone(pid: number): boolean {
  const stat = procStat(pid);
  return stat === undefined || stat.state === 'Z' || stat.state === 'X';
}

function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch {
    // already gone
  }
}

/**
 * SIGKILLs the postmaster and its children. The postmaster is stopped first so that it forks no new
 * backend between listing its children and killing it (killed first, its children would be reparented
 * and no longer found). Returns the children's PIDs.
 */
function killTree(pid: number): number[] {
  signal(pid, 'SIGSTOP');
  const children = childPids(pid);
  for (const p of [pid, ...children]) signal(p, 'SIGKILL');
  return children;
}

function exited(child: ChildProcess): boolean {
  return child.exitCode !== null || child.signalCode !== null;
}

/** Waits for the exit (the child is unref'd while it runs, so it is ref'd for the wait to keep this process alive). */
function waitForExit(child: ChildProcess): Promise<void> {
  if (exited(child)) return Promise.resolve();
  child.ref();
  return new Promise((r) => child.once('exit', () => r()));
}

/** Servers still running (postmaster and directory), so that a test process exiting without stop() leaves nothing behind. */
const live = new Map<string, () => ChildProcess | undefined>();
let exitHookInstalled = false;
function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once('exit', () => {
    for (const [dir, current] of live) {
      const child = current();
      if (child?.pid !== undefined && !exited(child)) killTree(child.pid);
      rmSync(dir, { recursive: true, force: true });
    }
  });
}

async function withClient<T>(config: pg.ClientConfig, use: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionTimeoutMillis: 5_000, ...config });
  client.on('error', () => undefined); // a server killed under an open connection; the query fails instead
  await client.connect();
  try {
    return await use(client);
  } finally {
    await client.end().catch(() => undefined);
  }
}

function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/** initdb's a fresh cluster in a temporary directory and serves it; call stop() when done. */
export async function startPostgres(options: { port?: number } = {}): Promise<PostgresServer> {
  const runAs = unprivilegedUser();
  const dir = mkdtempSync(join(tmpdir(), 'release-promote-postgres-'));
  installExitHook();
  let child: ChildProcess | undefined;
  live.set(dir, () => child);
  const own = (path: string) => {
    if (runAs) chownSync(path, runAs.uid, runAs.gid);
  };
  try {
    own(dir);
    const inst = await usableInstallation(await resolveInstallation(), runAs, dir);
    const env = childEnv(inst.libraryPath);
    const data = join(dir, 'data');
    const socketDir = join(dir, 'socket');
    const logFile = join(dir, 'postgres.log');
    mkdirSync(socketDir, { mode: 0o700 });
    own(socketDir);

    const superPassword = randomBytes(18).toString('hex');
    const superPasswordFile = join(dir, 'superuser-password');
    writeFileSync(superPasswordFile, `${superPassword}\n`, { mode: 0o600 });
    own(superPasswordFile);
    const password = randomBytes(18).toString('hex');
    const passwordFile = join(dir, 'password');
    writeFileSync(passwordFile, password, { mode: 0o600 });

    const [initdb, initdbArgs] = command(runAs, join(inst.binDir, 'initdb'), [
      `--pgdata=${data}`,
      `--username=${SUPERUSER}`,
      `--pwfile=${superPasswordFile}`,
      '--auth-local=trust',
      '--auth-host=scram-sha-256',
      '--encoding=UTF8',
      '--locale=C',
      '--no-sync',
      '--no-instructions',
    ]);
    await execFileAsync(initdb, initdbArgs, { env, cwd: dir, maxBuffer: 8 << 20 }).catch((err: unknown) => {
      const out = err as { stdout?: string; stderr?: string; message?: string };
      throw new Error(`initdb failed: ${[out.stderr, out.stdout].filter(Boolean).join('\n').trim() || out.message}`);
    });

    const superuser = (port: number, database = APP_DATABASE): pg.ClientConfig => ({
      host: HOST,
      port,
      user: SUPERUSER,
      password: superPassword,
      database,
    });

    const launch = (port: number): ChildProcess => {
      const [file, args] = command(runAs, join(inst.binDir, 'postgres'), [
        '-D',
        data,
        '-p',
        String(port),
        '-k',
        socketDir,
        '-c',
        `listen_addresses=${HOST}`,
        '-c',
        'fsync=off',
        '-c',
        'full_page_writes=off',
      ]);
      const fd = openSync(logFile, 'a');
      try {
        const spawned = spawn(file, args, { cwd: dir, env, stdio: ['ignore', fd, fd] });
        spawned.on('error', () => undefined); // surfaced by waitUntilReady (exitCode / log)
        // A test process that forgets stop() still exits; the exit hook then kills the server.
        spawned.unref();
        return spawned;
      } finally {
        closeSync(fd);
      }
    };

    const waitUntilReady = async (started: ChildProcess, port: number, database: string): Promise<void> => {
      let failure: string | undefined;
      await eventually(
        `postgres on port ${port} to accept connections`,
        async () => {
          if (exited(started)) {
            failure = `postgres exited (${started.exitCode ?? started.signalCode}) before it accepted connections; log ${logFile}:\n${tail(logFile)}`;
            return true;
          }
          await withClient(superuser(port, database), (c) => c.query('select 1'));
          return true;
        },
        { timeoutMs: READY_TIMEOUT_MS, intervalMs: 50, describe: () => `log ${logFile}:\n${tail(logFile)}` },
      );
      if (failure !== undefined) throw new Error(failure);
    };

    // A port found free is handed over later, so another process may take it first: retry with another.
    let port = options.port ?? (await freePort());
    for (let attempt = 1; ; attempt++) {
      const logStart = existsSync(logFile) ? readFileSync(logFile, 'utf8').length : 0;
      child = launch(port);
      try {
        await waitUntilReady(child, port, 'postgres');
        break;
      } catch (err) {
        if (child.pid !== undefined && !exited(child)) killTree(child.pid);
        await waitForExit(child);
        const inUse = /could not bind|already in use/i.test(readFileSync(logFile, 'utf8').slice(logStart));
        if (options.port === undefined && attempt < 3 && inUse) {
          port = await freePort();
          continue;
        }
        throw err;
      }
    }
    await withClient(superuser(port, 'postgres'), async (c) => {
      await c.query(`CREATE ROLE ${quoteIdent(APP_USER)} LOGIN PASSWORD '${password}'`);
      await c.query(`CREATE DATABASE ${quoteIdent(APP_DATABASE)} OWNER ${quoteIdent(APP_USER)}`);
    });

    const urlFor = (database: string) =>
      `postgres://${APP_USER}:${password}@${HOST}:${port}/${encodeURIComponent(database)}`;
    let stopping: Promise<void> | undefined;
    const current = (): ChildProcess => {
      if (stopping) throw new Error('this PostgreSQL server was stopped');
      return child!;
    };

    const kill = async (): Promise<void> => {
      const postmaster = current();
      let children: number[] = [];
      if (postmaster.pid !== undefined && !exited(postmaster)) children = killTree(postmaster.pid);
      await waitForExit(postmaster);
      await eventually('the killed postgres backends to be gone', () => children.every(gone), { timeoutMs: 10_000 });
      await eventually(`port ${port} to be free`, async () => !(await portOpen(port)), { timeoutMs: 10_000 });
    };

    /** Fast shutdown: SIGINT, SIGKILL (with the backends) after 10 s. */
    const shutdown = async (postmaster: ChildProcess): Promise<void> => {
      if (postmaster.pid === undefined || exited(postmaster)) return;
      const done = waitForExit(postmaster);
      postmaster.kill('SIGINT');
      const timer = setTimeout(() => killTree(postmaster.pid!), 10_000);
      await done;
      clearTimeout(timer);
    };

    return {
      url: urlFor(APP_DATABASE),
      host: HOST,
      port,
      database: APP_DATABASE,
      user: APP_USER,
      password,
      passwordFile,
      pid: () => current().pid!,
      kill,
      restart: async () => {
        await shutdown(current());
        const started = launch(port);
        child = started;
        try {
          await waitUntilReady(started, port, APP_DATABASE);
        } catch (err) {
          if (started.pid !== undefined && !exited(started)) killTree(started.pid);
          throw err;
        }
      },
      query: async <T = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<T[]> => {
        current();
        const result = await withClient(superuser(port), (c) => c.query(sql, params));
        return result.rows as T[];
      },
      createDatabase: async (name: string): Promise<string> => {
        current();
        await withClient(superuser(port, 'postgres'), (c) =>
          c.query(`CREATE DATABASE ${quoteIdent(name)} OWNER ${quoteIdent(APP_USER)}`),
        );
        return urlFor(name);
      },
      stop: () => {
        stopping ??= (async () => {
          if (child) await shutdown(child);
          live.delete(dir);
          rmSync(dir, { recursive: true, force: true });
        })();
        return stopping;
      },
    };
  } catch (err) {
    if (child?.pid !== undefined && !exited(child)) {
      killTree(child.pid);
      await waitForExit(child);
    }
    live.delete(dir);
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
}
