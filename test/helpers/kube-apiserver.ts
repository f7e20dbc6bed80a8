// A real, throw-away Kubernetes API server for integration tests, started the way controller-runtime's
// envtest does it: etcd + kube-apiserver on free loopback ports, everything in one temporary directory.
// There is no scheduler, kubelet or controller-manager: objects are stored and validated, RBAC and
// admission are real, but nothing reconciles them (see fake-deployment-controller.ts for Deployments).
//
// The binaries come from scripts/k8s/ensure-kube-binaries.sh (KUBE_APISERVER_PATH / ETCD_PATH win),
// which builds them once into the user cache; a cold build takes 10-20 minutes, so run the script
// before the tests when the cache is empty.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request as httpsRequest } from 'node:https';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { KubeConfig } from '@kubernetes/client-node' with { 'resolution-mode': 'import' };

/** The two users in the token file: `admin` is in system:masters; `limited` has no RBAC bindings. */
export type KubeTestUser = 'admin' | 'limited';

export interface KubeApiServer {
  /** `https://127.0.0.1:<port>` */
  server: string;
  /** Kubeconfig with contexts `admin` (current) and `limited`; CA embedded as certificate-authority-data. */
  kubeconfigPath: string;
  /** Client for the admin user (system:masters, bypasses RBAC). A fresh object; mutate freely. */
  kubeConfig: KubeConfig;
  /** Bearer token of the admin user. */
  token: string;
  /** Bearer token of the `limited` user (authenticated, no permissions beyond discovery). */
  limitedToken: string;
  /** PEM of the CA that signed the serving certificate (`<certDir>/apiserver.crt`, leaf + CA). */
  caPem: string;
  caFile: string;
  /** Temporary directory holding etcd data, certificates, tokens, kubeconfigs and logs; removed by stop(). */
  dir: string;
  logs: { apiserver: string; etcd: string };
  /** Milliseconds from spawning etcd until kube-apiserver's /readyz returned ok. */
  startupMs: number;
  /** A fresh KubeConfig for `user`. */
  kubeConfigFor(user: KubeTestUser): KubeConfig;
  /** A kubeconfig file whose current context is `user` (the admin one is `kubeconfigPath`). */
  kubeconfigPathFor(user: KubeTestUser): string;
  /** Kills kube-apiserver then etcd (SIGTERM, SIGKILL after 5 s) and removes `dir`. Idempotent. */
  stop(): Promise<void>;
}

export interface StartKubeApiServerOptions {
  /** How long to wait for /readyz. Default 60 s. */
  readyTimeoutMs?: number;
  /** Extra kube-apiserver flags, appended last (so they override the defaults). */
  extraApiServerArgs?: string[];
  /** Keep the temporary directory after stop() (for debugging; logs stay there). Also RELEASE_PROMOTE_KEEP_KUBE_DIR=1. */
  keepDir?: boolean;
}

const REPO_ROOT = resolve(__dirname, '..', '..');
const ENSURE_SCRIPT = join(REPO_ROOT, 'scripts', 'k8s', 'ensure-kube-binaries.sh');

export interface KubeBinaries {
  kubeApiServer: string;
  etcd: string;
}

let binariesPromise: Promise<KubeBinaries> | undefined;

/**
 * Paths of kube-apiserver and etcd, from scripts/k8s/ensure-kube-binaries.sh --print-env (which honours
 * KUBE_APISERVER_PATH / ETCD_PATH, only checks files when the cache is warm, and builds otherwise).
 */
export function resolveKubeBinaries(): Promise<KubeBinaries> {
  binariesPromise ??= new Promise<KubeBinaries>((resolvePromise, reject) => {
    execFile('bash', [ENSURE_SCRIPT, '--print-env'], { maxBuffer: 1 << 20 }, (err, stdout, stderr) => {
      if (err) {
        reject(new Error(`${ENSURE_SCRIPT} failed: ${stderr.trim() || err.message}`));
        return;
      }
      const env: Record<string, string> = {};
      for (const line of stdout.split('\n')) {
        const m = /^export (\w+)='(.*)'$/.exec(line.trim());
        if (m) env[m[1]!] = m[2]!.replace(/'\\''/g, "'");
      }
      const kubeApiServer = env.KUBE_APISERVER_PATH;
      const etcd = env.ETCD_PATH;
      if (!kubeApiServer || !etcd) reject(new Error(`unexpected output from ${ENSURE_SCRIPT}: ${stdout}`));
      else resolvePromise({ kubeApiServer, etcd });
    });
  });
  binariesPromise.catch(() => (binariesPromise = undefined));
  return binariesPromise;
}

/** Adds loopback to NO_PROXY/no_proxy so proxy-aware HTTP clients (axios, Go tools) talk to the server directly. */
function bypassProxyForLoopback(): void {
  for (const key of ['NO_PROXY', 'no_proxy'] as const) {
    const entries = (process.env[key] ?? '')
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean);
    for (const host of ['127.0.0.1', 'localhost']) if (!entries.includes(host)) entries.push(host);
    process.env[key] = entries.join(',');
  }
}

function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const srv = createServer();
    srv.unref();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolvePort(port));
    });
  });
}

async function distinctFreePorts(n: number): Promise<number[]> {
  const ports = new Set<number>();
  while (ports.size < n) ports.add(await freePort());
  return [...ports];
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

function tail(file: string, lines = 30): string {
  try {
    return readFileSync(file, 'utf8').split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

/** Child processes and temporary directories still alive, so that a test process exiting without stop() leaves nothing behind. */
const running = new Set<ChildProcess>();
const liveDirs = new Set<string>();
let exitHookInstalled = false;
function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once('exit', () => {
    for (const c of running) c.kill('SIGKILL');
    for (const d of liveDirs) rmSync(d, { recursive: true, force: true });
  });
}
function track(child: ChildProcess): void {
  installExitHook();
  running.add(child);
  child.once('exit', () => running.delete(child));
}

function startProcess(binary: string, args: string[], logFile: string): ChildProcess {
  const fd = openSync(logFile, 'a');
  try {
    const child = spawn(binary, args, { stdio: ['ignore', fd, fd], env: process.env });
    track(child);
    child.on('error', () => undefined); // surfaced through the readiness checks (exitCode / log)
    return child;
  } finally {
    closeSync(fd);
  }
}

function exited(child: ChildProcess): boolean {
  return child.exitCode !== null || child.signalCode !== null;
}

async function killProcess(child: ChildProcess | undefined): Promise<void> {
  if (!child || exited(child) || child.pid === undefined) return;
  const done = new Promise<void>((r) => child.once('exit', () => r()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
  await done;
  clearTimeout(timer);
}

interface HttpResult {
  status: number;
  body: string;
}

function get(
  url: string,
  opts: { ca?: string; token?: string; rejectUnauthorized?: boolean } = {},
): Promise<HttpResult> {
  return new Promise((resolveGet, reject) => {
    const u = new URL(url);
    const headers: Record<string, string> = opts.token ? { Authorization: `Bearer ${opts.token}` } : {};
    const cb = (res: IncomingMessage) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolveGet({ status: res.statusCode ?? 0, body }));
    };
    const req =
      u.protocol === 'https:'
        ? httpsRequest(
            u,
            { headers, ca: opts.ca, rejectUnauthorized: opts.rejectUnauthorized ?? true, timeout: 5_000 },
            cb,
          )
        : httpRequest(u, { headers, timeout: 5_000 }, cb);
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end();
  });
}

/** Polls `check` every 100 ms until it returns true; fails early when `child` exits. */
async function waitUntil(
  what: string,
  child: ChildProcess,
  logFile: string,
  deadline: number,
  check: () => Promise<boolean>,
): Promise<void> {
  let lastError = '';
  for (;;) {
    if (exited(child)) {
      throw new Error(
        `${what}: the process exited (code ${child.exitCode}, signal ${child.signalCode}); last log lines of ${logFile}:\n${tail(logFile)}`,
      );
    }
    try {
      if (await check()) return;
    } catch (err) {
      lastError = err instanceof Error ? err.message : String(err);
    }
    if (Date.now() > deadline) {
      throw new Error(
        `${what}: not ready in time${lastError ? ` (last error: ${lastError})` : ''}; last log lines of ${logFile}:\n${tail(logFile)}`,
      );
    }
    await sleep(100);
  }
}

function kubeconfigYaml(
  server: string,
  caPem: string,
  users: Partial<Record<KubeTestUser, string>>,
  current: KubeTestUser,
): string {
  // JSON is valid YAML; no dependency on a YAML library.
  return JSON.stringify(
    {
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [
        { name: 'test', cluster: { server, 'certificate-authority-data': Buffer.from(caPem).toString('base64') } },
      ],
      users: Object.entries(users).map(([name, token]) => ({ name, user: { token } })),
      contexts: Object.keys(users).map((name) => ({ name, context: { cluster: 'test', user: name } })),
      'current-context': current,
    },
    null,
    2,
  );
}

/**
 * Writes a kubeconfig for `server`'s admin user that points at a loopback port nothing listens on (one
 * just found free), for tests of what a client does when the API server cannot be reached. Returns the
 * file and the server URL it names.
 */
export async function writeUnreachableKubeconfig(server: KubeApiServer): Promise<{ kubeconfig: string; url: string }> {
  const port = await freePort();
  const url = `https://127.0.0.1:${port}`;
  const kubeconfig = join(server.dir, `kubeconfig-unreachable-${port}`);
  writeFileSync(kubeconfig, kubeconfigYaml(url, server.caPem, { admin: server.token }, 'admin'), { mode: 0o600 });
  return { kubeconfig, url };
}

/**
 * Starts etcd and kube-apiserver and resolves once /readyz is ok. Always call stop() (e.g. in an
 * `after` hook); a process that exits without it still SIGKILLs the servers.
 */
export async function startKubeApiServer(options: StartKubeApiServerOptions = {}): Promise<KubeApiServer> {
  // The free ports are picked before the servers bind them; if another process grabs one in between, retry.
  for (let attempt = 1; ; attempt++) {
    try {
      return await startOnce(options);
    } catch (err) {
      if (attempt >= 3 || !(err instanceof Error) || !/address already in use/i.test(err.message)) throw err;
    }
  }
}

async function startOnce(options: StartKubeApiServerOptions): Promise<KubeApiServer> {
  const { kubeApiServer: apiserverBin, etcd: etcdBin } = await resolveKubeBinaries();
  const k8s = await import('@kubernetes/client-node');
  bypassProxyForLoopback();

  const keepDir = options.keepDir ?? process.env.RELEASE_PROMOTE_KEEP_KUBE_DIR === '1';
  const dir = mkdtempSync(join(tmpdir(), 'release-promote-kube-'));
  if (!keepDir) {
    installExitHook();
    liveDirs.add(dir);
  }
  const certDir = join(dir, 'certs');
  const etcdData = join(dir, 'etcd');
  mkdirSync(certDir);
  const logs = { apiserver: join(dir, 'kube-apiserver.log'), etcd: join(dir, 'etcd.log') };

  let etcd: ChildProcess | undefined;
  let apiserver: ChildProcess | undefined;
  let stopped: Promise<void> | undefined;
  const stop = (): Promise<void> =>
    (stopped ??= (async () => {
      await killProcess(apiserver);
      await killProcess(etcd);
      if (!keepDir) rmSync(dir, { recursive: true, force: true });
      liveDirs.delete(dir);
    })());

  try {
    const started = Date.now();
    const deadline = started + (options.readyTimeoutMs ?? 60_000);
    const [etcdClientPort, etcdPeerPort, securePort] = (await distinctFreePorts(3)) as [number, number, number];

    // etcd, as envtest runs it (single member, no fsync: the data is thrown away anyway).
    const etcdClientUrl = `http://127.0.0.1:${etcdClientPort}`;
    const etcdPeerUrl = `http://127.0.0.1:${etcdPeerPort}`;
    etcd = startProcess(
      etcdBin,
      [
        '--name=default',
        `--data-dir=${etcdData}`,
        `--listen-client-urls=${etcdClientUrl}`,
        `--advertise-client-urls=${etcdClientUrl}`,
        `--listen-peer-urls=${etcdPeerUrl}`,
        `--initial-advertise-peer-urls=${etcdPeerUrl}`,
        `--initial-cluster=default=${etcdPeerUrl}`,
        '--unsafe-no-fsync',
        '--log-level=warn',
      ],
      logs.etcd,
    );
    const etcdProc = etcd;
    await waitUntil('etcd', etcdProc, logs.etcd, deadline, async () => {
      const r = await get(`${etcdClientUrl}/health`);
      return r.status === 200 && /"health":\s*"true"/.test(r.body);
    });

    // Credentials: a service-account signing key and a static token file with two users.
    const saKey = join(dir, 'sa.key');
    const { privateKey } = generateKeyPairSync('rsa', {
      modulusLength: 2048,
      privateKeyEncoding: { type: 'pkcs1', format: 'pem' },
      publicKeyEncoding: { type: 'spki', format: 'pem' },
    });
    writeFileSync(saKey, privateKey, { mode: 0o600 });
    const token = randomBytes(24).toString('hex');
    const limitedToken = randomBytes(24).toString('hex');
    const tokensFile = join(dir, 'tokens.csv');
    writeFileSync(tokensFile, `${token},admin,admin,"system:masters"\n${limitedToken},limited,limited\n`, {
      mode: 0o600,
    });

    const server = `https://127.0.0.1:${securePort}`;
    apiserver = startProcess(
      apiserverBin,
      [
        '--advertise-address=127.0.0.1',
        '--bind-address=127.0.0.1',
        `--secure-port=${securePort}`,
        `--etcd-servers=${etcdClientUrl}`,
        `--cert-dir=${certDir}`,
        '--service-cluster-ip-range=10.0.0.0/24',
        `--service-account-issuer=${server}/`,
        `--service-account-key-file=${saKey}`,
        `--service-account-signing-key-file=${saKey}`,
        '--authorization-mode=RBAC',
        `--token-auth-file=${tokensFile}`,
        '--disable-admission-plugins=ServiceAccount',
        '--allow-privileged=true',
        // The `kubernetes` Service's Endpoints cannot hold a loopback address (the reconciler logs
        // "may not be in the loopback range" forever); nothing here needs them.
        '--endpoint-reconciler-type=none',
        ...(options.extraApiServerArgs ?? []),
      ],
      logs.apiserver,
    );
    const apiProc = apiserver;
    // /readyz as system:masters (anonymous requests are forbidden until the RBAC bootstrap roles exist).
    await waitUntil('kube-apiserver', apiProc, logs.apiserver, deadline, async () => {
      const r = await get(`${server}/readyz`, { token, rejectUnauthorized: false });
      return r.status === 200 && r.body.trim() === 'ok';
    });

    // The self-signed serving certificate (leaf followed by its CA) written by --cert-dir.
    const caFile = join(certDir, 'apiserver.crt');
    if (!existsSync(caFile)) throw new Error(`kube-apiserver is ready but wrote no ${caFile}`);
    const caPem = readFileSync(caFile, 'utf8');
    const verified = await get(`${server}/readyz`, { token, ca: caPem });
    if (verified.status !== 200)
      throw new Error(`TLS check against ${caFile} failed: HTTP ${verified.status} ${verified.body}`);
    const startupMs = Date.now() - started;

    const tokens: Record<KubeTestUser, string> = { admin: token, limited: limitedToken };
    const kubeconfigPaths: Record<KubeTestUser, string> = {
      admin: join(dir, 'kubeconfig'),
      limited: join(dir, 'kubeconfig-limited'),
    };
    for (const user of ['admin', 'limited'] as const) {
      writeFileSync(kubeconfigPaths[user], kubeconfigYaml(server, caPem, tokens, user), { mode: 0o600 });
    }
    const kubeConfigFor = (user: KubeTestUser): KubeConfig => {
      const kc = new k8s.KubeConfig();
      kc.loadFromFile(kubeconfigPaths[user]);
      return kc;
    };

    return {
      server,
      kubeconfigPath: kubeconfigPaths.admin,
      kubeConfig: kubeConfigFor('admin'),
      token,
      limitedToken,
      caPem,
      caFile,
      dir,
      logs,
      startupMs,
      kubeConfigFor,
      kubeconfigPathFor: (user) => kubeconfigPaths[user],
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}
