// The deployment files: docker-compose.yml, the Dockerfile, the example production config, the
// Prometheus config and the Kubernetes manifests.
//
// - docker-compose.yml: `docker compose config` when the compose plugin is installed; always a
//   structural check (image or build everywhere, healthchecks, depends_on conditions that can be
//   met, the start-up order, no volume declared for nothing), the config's records store is the
//   compose PostgreSQL's release_promote database with the password the compose file gives the
//   role, the worker's, the migration's and the gateway's commands are real CLI commands (`--help`),
//   the search-attribute job's script really registers the six release search attributes on a
//   Temporal dev server, and the records one-shots really create the role and database and migrate
//   the schema on a real PostgreSQL (each twice: they must be re-runnable).
// - Kubernetes: every manifest parses; the worker uses the postgres store (password from a mounted
//   Secret, `migrate` in an init container); RBAC gives exactly the verbs the Kubernetes target needs
//   in exactly the namespaces the config deploys to; then everything is created on a real
//   kube-apiserver (strict field validation) and SubjectAccessReviews check what the worker's
//   service account may and may not do.
//
// Run: node --import tsx --test test/deploy/compose.test.ts
import assert from 'node:assert/strict';
import { execFile, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { parse as parseYaml, parseAllDocuments, parseDocument } from 'yaml';
import { Connection } from '@temporalio/client';
import type * as K8sModule from '@kubernetes/client-node' with { 'resolution-mode': 'import' };
import { configSchema, type Config } from '../../src/config/schema';
import { loadConfig } from '../../src/config/load';
import { releaseSearchAttributes } from '../../src/shared/search-attributes';
import { startDevServer, type DevServer } from '../../src/servers/dev-server';
import { temporalCliPath } from '../../src/servers/locate';
import { startKubeApiServer, type KubeApiServer } from '../helpers/kube-apiserver';
import { startPostgres, type PostgresServer } from '../helpers/postgres';
import { LATEST_SCHEMA_VERSION } from '../../src/records/postgres/migrations';
import { BEGIN_MARKER, configReference, END_MARKER } from '../../scripts/config-reference';

const ROOT = resolve(__dirname, '..', '..');
const run = promisify(execFile);

interface ComposeService {
  image?: string;
  build?: unknown;
  command?: string | string[];
  entrypoint?: string | string[];
  environment?: Record<string, string> | string[];
  healthcheck?: { test?: unknown };
  depends_on?: string[] | Record<string, { condition?: string }>;
  volumes?: Array<string | { type?: string; source?: string; target?: string }>;
  secrets?: Array<string | { source: string }>;
  restart?: string;
}
interface ComposeFile {
  services: Record<string, ComposeService>;
  volumes?: Record<string, unknown>;
  secrets?: Record<string, { file?: string }>;
}

const compose = parseYaml(readFileSync(join(ROOT, 'docker-compose.yml'), 'utf8'), { merge: true }) as ComposeFile;
const services = compose.services;

function environment(service: ComposeService): Record<string, string> {
  const env = service.environment ?? {};
  if (Array.isArray(env))
    return Object.fromEntries(env.map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]));
  return env;
}

/** Mounts as { source, target }, from short ("src:dst[:ro]") or long syntax. */
function mounts(service: ComposeService): Array<{ source: string; target: string }> {
  return (service.volumes ?? []).map((v) => {
    if (typeof v !== 'string') return { source: v.source ?? '', target: v.target ?? '' };
    const [source = '', target = ''] = v.split(':');
    return { source, target };
  });
}

const isNamedVolume = (source: string) =>
  source !== '' &&
  !source.startsWith('.') &&
  !source.startsWith('/') &&
  !source.startsWith('~') &&
  !source.startsWith('$');

/**
 * A compose value as compose interpolates it when none of its variables is set: `${X:-default}` and
 * `${X-default}` are the default, `${X}` is empty, `$$` is `$`.
 */
function withDefaults(value: string): string {
  return value.replace(/\$\$|\$\{(\w+)(?::?-([^}]*))?\}/g, (whole, _name: string, fallback?: string) =>
    whole === '$$' ? '$' : (fallback ?? ''),
  );
}

function cliHelp(command: string): { status: number | null; output: string } {
  const result = spawnSync(process.execPath, [join(ROOT, 'bin', 'release-promote.mjs'), command, '--help'], {
    encoding: 'utf8',
    timeout: 60_000,
  });
  return { status: result.status, output: `${result.stdout}${result.stderr}` };
}

// Keys from the Compose Specification (compose-spec/compose-spec, schema/compose-spec.json): the
// top level, a service, its healthcheck and build sections. Anything else is a typo compose rejects.
const COMPOSE_TOP_LEVEL = new Set([
  'version',
  'name',
  'include',
  'services',
  'networks',
  'volumes',
  'secrets',
  'configs',
  'models',
]);
const COMPOSE_SERVICE = new Set([
  'annotations',
  'attach',
  'blkio_config',
  'build',
  'cap_add',
  'cap_drop',
  'cgroup',
  'cgroup_parent',
  'command',
  'configs',
  'container_name',
  'cpu_count',
  'cpu_percent',
  'cpu_period',
  'cpu_quota',
  'cpu_rt_period',
  'cpu_rt_runtime',
  'cpu_shares',
  'cpus',
  'cpuset',
  'credential_spec',
  'depends_on',
  'deploy',
  'develop',
  'device_cgroup_rules',
  'devices',
  'dns',
  'dns_opt',
  'dns_search',
  'domainname',
  'entrypoint',
  'env_file',
  'environment',
  'expose',
  'extends',
  'external_links',
  'extra_hosts',
  'gpus',
  'group_add',
  'healthcheck',
  'hostname',
  'image',
  'init',
  'ipc',
  'isolation',
  'labels',
  'label_file',
  'links',
  'logging',
  'mac_address',
  'mem_limit',
  'mem_reservation',
  'mem_swappiness',
  'memswap_limit',
  'models',
  'network_mode',
  'networks',
  'oom_kill_disable',
  'oom_score_adj',
  'pid',
  'pids_limit',
  'platform',
  'ports',
  'post_start',
  'pre_stop',
  'privileged',
  'profiles',
  'provider',
  'pull_policy',
  'read_only',
  'restart',
  'runtime',
  'scale',
  'secrets',
  'security_opt',
  'shm_size',
  'stdin_open',
  'stop_grace_period',
  'stop_signal',
  'storage_opt',
  'sysctls',
  'tmpfs',
  'tty',
  'ulimits',
  'use_api_socket',
  'user',
  'userns_mode',
  'uts',
  'volumes',
  'volumes_from',
  'working_dir',
]);
const COMPOSE_HEALTHCHECK = new Set([
  'disable',
  'interval',
  'retries',
  'test',
  'timeout',
  'start_period',
  'start_interval',
]);
const COMPOSE_BUILD = new Set([
  'context',
  'dockerfile',
  'dockerfile_inline',
  'entitlements',
  'args',
  'ssh',
  'labels',
  'cache_from',
  'cache_to',
  'no_cache',
  'additional_contexts',
  'network',
  'provenance',
  'sbom',
  'pull',
  'target',
  'shm_size',
  'extra_hosts',
  'isolation',
  'privileged',
  'secrets',
  'tags',
  'ulimits',
  'platforms',
]);
/** A Compose duration: 1m30s, 10s, 500ms, 2h. */
const COMPOSE_DURATION = /^(\d+(\.\d+)?(us|ms|s|m|h))+$/;

void describe('docker-compose.yml', () => {
  void it('is a valid compose file (docker compose config, when the compose plugin is installed)', (t) => {
    const probe = spawnSync('docker', ['compose', 'version'], { encoding: 'utf8' });
    if (probe.status !== 0) {
      t.diagnostic('docker compose is not installed here: the structural checks below stand in for it');
      return;
    }
    const dir = mkdtempSync(join(tmpdir(), 'release-promote-compose-'));
    try {
      const kubeconfig = join(dir, 'kubeconfig');
      writeFileSync(kubeconfig, 'apiVersion: v1\nkind: Config\n');
      const result = spawnSync('docker', ['compose', '-f', join(ROOT, 'docker-compose.yml'), 'config', '--quiet'], {
        encoding: 'utf8',
        env: { ...process.env, RELEASE_PROMOTE_KUBECONFIG: kubeconfig },
      });
      assert.equal(result.status, 0, result.stderr);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  void it('uses only keys and values the Compose Specification defines (the schema check without a compose plugin)', () => {
    const unknown = (where: string, value: object, allowed: ReadonlySet<string>) =>
      Object.keys(value)
        .filter((k) => !allowed.has(k) && !k.startsWith('x-'))
        .map((k) => `${where}.${k}`);
    const problems = unknown('(top level)', compose, COMPOSE_TOP_LEVEL);
    for (const [name, service] of Object.entries(services)) {
      problems.push(...unknown(`services.${name}`, service, COMPOSE_SERVICE));
      if (service.healthcheck)
        problems.push(...unknown(`services.${name}.healthcheck`, service.healthcheck, COMPOSE_HEALTHCHECK));
      if (service.build && typeof service.build === 'object')
        problems.push(...unknown(`services.${name}.build`, service.build, COMPOSE_BUILD));
      // A command line is a string or a list of strings ("a: b" unquoted in a list item is a mapping).
      for (const [key, value] of [
        ['command', service.command],
        ['entrypoint', service.entrypoint],
        ['healthcheck.test', service.healthcheck?.test],
      ] as const) {
        if (
          value !== undefined &&
          typeof value !== 'string' &&
          !(Array.isArray(value) && value.every((v) => typeof v === 'string'))
        )
          problems.push(`services.${name}.${key}: ${JSON.stringify(value)} is not a string or a list of strings`);
      }
      const restart = service.restart ?? 'no';
      if (!/^(no|always|unless-stopped|on-failure(:\d+)?)$/.test(restart))
        problems.push(`services.${name}.restart: "${restart}"`);
      for (const key of ['stop_grace_period'] as const) {
        const value = (service as Record<string, unknown>)[key];
        if (value !== undefined && !(typeof value === 'string' && COMPOSE_DURATION.test(value)))
          problems.push(`services.${name}.${key}: ${JSON.stringify(value)} is not a duration`);
      }
      for (const [key, value] of Object.entries(service.healthcheck ?? {})) {
        if (
          ['interval', 'timeout', 'start_period', 'start_interval'].includes(key) &&
          !(typeof value === 'string' && COMPOSE_DURATION.test(value))
        ) {
          problems.push(`services.${name}.healthcheck.${key}: ${JSON.stringify(value)} is not a duration`);
        }
      }
    }
    assert.deepEqual(problems, []);
  });

  void it('has the expected services, each with an image or a build', () => {
    for (const name of [
      'postgresql',
      'temporal-schema',
      'temporal',
      'register-search-attributes',
      'temporal-ui',
      'records-database',
      'records-migrate',
      'worker',
      'slack-gateway',
      'prometheus',
    ]) {
      assert.ok(services[name], `service ${name} is missing`);
    }
    for (const [name, service] of Object.entries(services)) {
      assert.ok(service.image || service.build, `service ${name} has neither image nor build`);
    }
    for (const name of ['worker', 'records-migrate', 'slack-gateway']) {
      assert.ok(services[name]!.build, `${name} is built from the Dockerfile`);
      assert.equal((services[name]!.build as { dockerfile?: string }).dockerfile, 'Dockerfile');
      assert.equal(services[name]!.image, services.worker!.image, `${name} runs the worker's image`);
    }
    // The records one-shot runs psql from the image the database server runs.
    assert.equal(services['records-database']!.image, services.postgresql!.image);
  });

  void it('has healthchecks where others wait for health, and satisfiable depends_on conditions', () => {
    for (const name of ['postgresql', 'temporal', 'worker', 'slack-gateway', 'prometheus']) {
      assert.ok(services[name]!.healthcheck?.test, `service ${name} has no healthcheck`);
    }
    const conditions = new Set(['service_started', 'service_healthy', 'service_completed_successfully']);
    for (const [name, service] of Object.entries(services)) {
      const deps = service.depends_on ?? {};
      const entries = Array.isArray(deps)
        ? deps.map((d) => [d, { condition: 'service_started' }] as const)
        : Object.entries(deps);
      for (const [dep, { condition }] of entries) {
        const target = services[dep];
        assert.ok(target, `${name} depends on ${dep}, which is not a service`);
        assert.notEqual(dep, name);
        assert.ok(condition && conditions.has(condition), `${name} → ${dep}: condition "${condition}"`);
        if (condition === 'service_healthy')
          assert.ok(target.healthcheck?.test, `${name} waits for ${dep} to be healthy, but ${dep} has no healthcheck`);
        if (condition === 'service_completed_successfully') {
          assert.ok(
            !['always', 'unless-stopped'].includes(target.restart ?? 'no'),
            `${name} waits for one-shot ${dep} to complete, but it restarts ${target.restart}`,
          );
        }
      }
    }
    // The order that makes a fresh host come up: schema → server → search attributes → worker.
    const dependsOn = (a: string, b: string) =>
      (services[a]!.depends_on as Record<string, { condition: string }>)[b]?.condition;
    assert.equal(dependsOn('temporal-schema', 'postgresql'), 'service_healthy');
    assert.equal(dependsOn('temporal', 'temporal-schema'), 'service_completed_successfully');
    assert.equal(dependsOn('register-search-attributes', 'temporal'), 'service_healthy');
    assert.equal(dependsOn('worker', 'temporal'), 'service_healthy');
    assert.equal(dependsOn('worker', 'register-search-attributes'), 'service_completed_successfully');
    assert.equal(dependsOn('slack-gateway', 'register-search-attributes'), 'service_completed_successfully');
    // And for the records: role and database → schema → worker (a worker refuses a schema behind it).
    assert.equal(dependsOn('records-database', 'postgresql'), 'service_healthy');
    assert.equal(dependsOn('records-migrate', 'records-database'), 'service_completed_successfully');
    assert.equal(dependsOn('worker', 'records-migrate'), 'service_completed_successfully');
    for (const name of ['records-database', 'records-migrate'])
      assert.equal(services[name]!.restart, 'no', `${name} is a one-shot`);
  });

  void it('declares every named volume and secret, and every bind-mounted file exists', () => {
    for (const [name, service] of Object.entries(services)) {
      for (const { source, target } of mounts(service)) {
        assert.ok(target.startsWith('/'), `${name}: mount target ${target}`);
        if (isNamedVolume(source))
          assert.ok(
            compose.volumes && source in compose.volumes,
            `${name} mounts volume ${source}, which is not declared`,
          );
        else if (source.startsWith('.'))
          assert.ok(existsSync(join(ROOT, source)), `${name} bind-mounts ${source}, which does not exist`);
      }
      for (const secret of service.secrets ?? []) {
        const id = typeof secret === 'string' ? secret : secret.source;
        assert.ok(compose.secrets?.[id], `${name} uses secret ${id}, which is not declared`);
      }
    }
    // No volume is declared for nothing (the records are in the database, not on volumes).
    const mounted = new Set(Object.values(services).flatMap((service) => mounts(service).map((m) => m.source)));
    for (const volume of Object.keys(compose.volumes ?? {}))
      assert.ok(mounted.has(volume), `volume ${volume} is declared but no service mounts it`);
  });

  void it("mounts deploy/release-promote.yaml as the config, whose records store is the compose PostgreSQL's release_promote database", () => {
    const worker = services.worker!;
    const configPath = environment(worker).RELEASE_PROMOTE_CONFIG;
    assert.ok(configPath, 'RELEASE_PROMOTE_CONFIG is set');
    for (const name of ['worker', 'records-migrate', 'slack-gateway']) {
      assert.equal(environment(services[name]!).RELEASE_PROMOTE_CONFIG, configPath, `${name} reads the same config`);
      const mount: { source: string; target: string } | undefined = mounts(services[name]!).find(
        (m) => m.target === configPath,
      );
      assert.ok(mount, `${name} mounts the config at ${configPath}`);
      assert.equal(mount.source, './deploy/release-promote.yaml');
    }
    // The worker keeps nothing on the host: its only mount is the config.
    assert.deepEqual(
      mounts(worker).map((m) => m.source),
      ['./deploy/release-promote.yaml'],
    );
    const config = loadConfig(join(ROOT, 'deploy', 'release-promote.yaml'));
    assert.equal(config.records.store, 'postgres');
    const postgres = config.records.postgres;
    assert.ok(postgres, 'records.postgres');
    const url = new URL(postgres.url);
    assert.equal(url.hostname, 'postgresql', 'the database is the compose postgresql service');
    assert.ok(services[url.hostname]);
    assert.equal(url.port || '5432', '5432');
    assert.equal(url.username, 'release_promote');
    assert.equal(url.pathname, '/release_promote');
    assert.equal(postgres.tls.mode, 'disable', "the compose network's local database");
    // The one-shot that creates that role and database connects to that server as its superuser.
    const oneShot = environment(services['records-database']!);
    const server = environment(services.postgresql!);
    assert.equal(oneShot.PGHOST, url.hostname);
    assert.equal(oneShot.PGPORT, '5432');
    assert.equal(oneShot.PGUSER, server.POSTGRES_USER);
    assert.equal(oneShot.PGPASSWORD, server.POSTGRES_PASSWORD);
    const script = (services['records-database']!.command as string[]).join('\n');
    assert.match(script, /CREATE ROLE release_promote LOGIN/);
    assert.match(script, /CREATE DATABASE release_promote OWNER release_promote/);
    // The password: the role gets RELEASE_PROMOTE_DB_PASSWORD (a development default when unset), and
    // the worker and the migration get the same value in the variable the config names.
    assert.equal(postgres.passwordFile, undefined, 'compose passes the password in the environment');
    const passwordEnv = postgres.passwordEnv ?? 'PGPASSWORD';
    const rolePassword = oneShot.RELEASE_PROMOTE_DB_PASSWORD;
    assert.match(rolePassword ?? '', /^\$\{RELEASE_PROMOTE_DB_PASSWORD:-[^}]+\}$/);
    for (const name of ['worker', 'records-migrate'])
      assert.equal(
        environment(services[name]!)[passwordEnv],
        rolePassword,
        `${name} gets the role's password in ${passwordEnv}`,
      );
    assert.ok(
      !(passwordEnv in environment(services['slack-gateway']!)),
      'the gateway, which reads no records, does not get it',
    );
    // The kubeconfig the targets name is the mounted secret.
    for (const env of Object.values(config.environments)) {
      if (env.target.type === 'kubernetes') assert.equal(env.target.kubeconfig, '/run/secrets/kubeconfig');
    }
    assert.ok(worker.secrets?.some((s) => (typeof s === 'string' ? s : s.source) === 'kubeconfig'));
    // Every secret the config reads from the environment is passed to the worker.
    const env = environment(worker);
    const named = [
      config.notifications.provider === 'slack' ? config.notifications.botTokenEnv : null,
      config.gates.provider === 'github' ? config.gates.tokenEnv : null,
      config.gates.provider === 'github' ? config.gates.e2e?.authHeaderEnv : null,
      config.metrics.provider === 'prometheus' ? config.metrics.authHeaderEnv : null,
    ].filter((n): n is string => typeof n === 'string');
    for (const name of named) assert.ok(name in env, `the worker gets ${name}`);
    assert.ok(
      config.slack.signingSecretEnv in environment(services['slack-gateway']!),
      'the gateway gets the signing secret',
    );
  });

  void it('runs real CLI commands in the worker, the records migration and the Slack gateway', () => {
    for (const name of ['worker', 'records-migrate', 'slack-gateway']) {
      const command = services[name]!.command;
      const argv = Array.isArray(command) ? command : (command ?? '').split(/\s+/).filter(Boolean);
      assert.ok(argv.length > 0, `${name} has a command`);
      const { status, output } = cliHelp(argv[0]!);
      assert.equal(status, 0, `release-promote ${argv[0]} --help exited ${status}:\n${output}`);
      // The command's own help: for an unknown command, `--help` prints the program's and exits 0 too.
      const own = new RegExp(`^Usage: release-promote ${argv[0]} `, 'm').test(output);
      assert.ok(
        own,
        `"${argv[0]}" (the ${name} service's command) is not a release-promote command: --help printed the program's help`,
      );
    }
    assert.doesNotMatch(cliHelp('no-such-command').output, /^Usage: release-promote no-such-command /m);
  });

  void it('registers the release search attributes with the same names and types as the code', () => {
    const script = (services['register-search-attributes']!.command as string[]).join('\n');
    for (const key of releaseSearchAttributes) {
      assert.equal(key.type, 'KEYWORD');
      assert.match(script, new RegExp(`\\b${key.name}\\b`), `${key.name} is registered`);
    }
    assert.match(script, /--type Keyword/);
  });

  void describe('the search-attribute job, run against a Temporal dev server', () => {
    let server: DevServer;
    let cliDir: string;
    before(async () => {
      cliDir = dirname(await temporalCliPath());
      // Started without the release search attributes: the job has to add them.
      server = await startDevServer({ port: 0, headless: true, extraArgs: [] });
    });
    after(async () => {
      await server?.stop();
    });

    void it('creates the namespace and the six Keyword attributes, and succeeds again when they exist', async () => {
      const script = (services['register-search-attributes']!.command as string[]).join('\n').replaceAll('$$', '$');
      const namespace = 'compose-check';
      const env = {
        ...process.env,
        PATH: `${cliDir}:${process.env.PATH ?? ''}`,
        TEMPORAL_ADDRESS: server.address,
        TEMPORAL_NAMESPACE: namespace,
      };
      for (let round = 1; round <= 2; round++) {
        const result = await run('sh', ['-c', script], { env, timeout: 60_000 }).catch(
          (err: { stdout?: string; stderr?: string; message: string }) => {
            assert.fail(`round ${round}: the job failed: ${err.message}\n${err.stdout ?? ''}\n${err.stderr ?? ''}`);
          },
        );
        if (round === 2)
          for (const key of releaseSearchAttributes)
            assert.match(result.stdout, new RegExp(`search attribute ${key.name} exists`));
      }
      const connection = await Connection.connect({ address: server.address });
      try {
        const { customAttributes } = await connection.operatorService.listSearchAttributes({ namespace });
        for (const key of releaseSearchAttributes) {
          assert.equal(
            Number(customAttributes?.[key.name]),
            2 /* INDEXED_VALUE_TYPE_KEYWORD */,
            `${key.name} in ${namespace}`,
          );
        }
      } finally {
        await connection.close();
      }
    });
  });

  void describe('the records one-shots, run against a real PostgreSQL', () => {
    let server: PostgresServer;
    let dir: string;
    /** The environment that finds the test installation's psql. */
    let psqlEnv: Record<string, string>;
    before(async () => {
      server = await startPostgres();
      dir = mkdtempSync(join(tmpdir(), 'release-promote-records-compose-'));
      const located = await run('bash', [join(ROOT, 'scripts', 'postgres', 'ensure-postgres.sh'), '--print-env']);
      const exported = Object.fromEntries(
        [...located.stdout.matchAll(/^export (\w+)='(.*)'$/gm)].map((m) => [m[1]!, m[2]!.replace(/'\\''/g, "'")]),
      );
      assert.ok(exported.POSTGRES_BIN_DIR, located.stdout);
      psqlEnv = { PATH: `${exported.POSTGRES_BIN_DIR}:${process.env.PATH ?? ''}` };
      if (exported.POSTGRES_LD_LIBRARY_PATH)
        psqlEnv.LD_LIBRARY_PATH = [exported.POSTGRES_LD_LIBRARY_PATH, process.env.LD_LIBRARY_PATH]
          .filter(Boolean)
          .join(':');
    });
    after(async () => {
      await server?.stop();
      if (dir) rmSync(dir, { recursive: true, force: true });
    });

    /** A service's environment as compose gives it when none of the variables is set. */
    const composeEnv = (name: string) =>
      Object.fromEntries(Object.entries(environment(services[name]!)).map(([k, v]) => [k, withDefaults(String(v))]));
    /** process.env without the libpq variables of whoever runs the tests. */
    const cleanEnv = () => Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('PG')));

    /** The records-database service's script, with its environment, against the test server. */
    const runRecordsDatabase = async (overrides: Record<string, string> = {}) => {
      const script = withDefaults((services['records-database']!.command as string[]).join('\n'));
      const env = {
        ...cleanEnv(),
        ...psqlEnv,
        ...composeEnv('records-database'),
        PGHOST: server.host,
        PGPORT: String(server.port),
        ...overrides,
      };
      return run('sh', ['-c', script], { env, timeout: 60_000 }).catch(
        (err: { stdout?: string; stderr?: string; message: string }) =>
          assert.fail(`records-database failed: ${err.message}\n${err.stdout ?? ''}\n${err.stderr ?? ''}`),
      );
    };

    /** The records-migrate service's command through the CLI, with its environment and the config at the test server. */
    const runMigrate = (configFile: string, extraArgs: string[] = []) => {
      const argv = services['records-migrate']!.command as string[];
      const env = { ...cleanEnv(), ...composeEnv('records-migrate'), RELEASE_PROMOTE_CONFIG: configFile };
      return new Promise<{ code: number | null; output: string }>((resolveRun) => {
        execFile(
          process.execPath,
          [join(ROOT, 'bin', 'release-promote.mjs'), ...argv, ...extraArgs],
          { env, timeout: 120_000 },
          (err, stdout, stderr) => {
            const code = err ? (typeof err.code === 'number' ? err.code : null) : 0;
            resolveRun({ code, output: `${stdout}${stderr}` });
          },
        );
      });
    };

    /** Logs in as release_promote with `password`; returns the database's owner and whether PUBLIC may connect. */
    const loginAsRole = async (password: string) => {
      const client = new pg.Client({
        host: server.host,
        port: server.port,
        user: 'release_promote',
        password,
        database: 'release_promote',
        connectionTimeoutMillis: 5_000,
      });
      await client.connect();
      try {
        const { rows } = await client.query<{ owner: string; public_connect: boolean }>(
          `SELECT pg_get_userbyid(datdba) AS owner, has_database_privilege('public', datname, 'CONNECT') AS public_connect
             FROM pg_database WHERE datname = current_database()`,
        );
        return rows[0]!;
      } finally {
        await client.end();
      }
    };

    void it('create the role and the database, migrate the schema, re-run as no-ops, and rotate the password', async () => {
      // The compose server's superuser, as the postgresql service's environment creates it.
      const serverEnv = composeEnv('postgresql');
      const superuser = serverEnv.POSTGRES_USER!;
      assert.match(superuser, /^[a-z_]+$/);
      await server.query(`CREATE ROLE ${superuser} SUPERUSER LOGIN PASSWORD '${serverEnv.POSTGRES_PASSWORD}'`);
      // A server without release_promote (the test harness makes both; the job has to).
      await run(
        'psql',
        [
          '-X',
          '-v',
          'ON_ERROR_STOP=1',
          '-d',
          'postgres',
          '-c',
          'DROP DATABASE release_promote WITH (FORCE)',
          '-c',
          'DROP ROLE release_promote',
        ],
        {
          env: {
            ...cleanEnv(),
            ...psqlEnv,
            PGHOST: server.host,
            PGPORT: String(server.port),
            PGUSER: superuser,
            PGPASSWORD: serverEnv.POSTGRES_PASSWORD!,
          },
        },
      );
      const password = composeEnv('records-migrate').RELEASE_PROMOTE_DB_PASSWORD!;
      assert.ok(password, 'the development default');
      await assert.rejects(loginAsRole(password), /role "release_promote" does not exist|password authentication/);

      // 1. The job creates them; the role logs in with the password the worker gets, and owns the database.
      const first = await runRecordsDatabase();
      assert.match(first.stdout, /records database release_promote is ready/);
      assert.deepEqual(await loginAsRole(password), { owner: 'release_promote', public_connect: false });

      // 2. migrate (the records-migrate service's command) with the compose config, the host made this server's.
      const doc = parseDocument(readFileSync(join(ROOT, 'deploy', 'release-promote.yaml'), 'utf8'));
      const url = new URL(String(doc.getIn(['records', 'postgres', 'url'])));
      url.hostname = server.host;
      url.port = String(server.port);
      doc.setIn(['records', 'postgres', 'url'], url.toString());
      const configFile = join(dir, 'release-promote.yaml');
      writeFileSync(configFile, doc.toString());
      const migrated = await runMigrate(configFile);
      assert.equal(migrated.code, 0, migrated.output);
      assert.match(migrated.output, new RegExp(`schema 0 → ${LATEST_SCHEMA_VERSION}: applied `));
      const again = await runMigrate(configFile);
      assert.equal(again.code, 0, again.output);
      assert.match(again.output, new RegExp(`schema already at version ${LATEST_SCHEMA_VERSION} \\(current\\)`));
      const tables = await server.query<{ tablename: string; tableowner: string }>(
        "SELECT tablename, tableowner FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename",
      );
      for (const table of [
        'audit_entries',
        'evidence_documents',
        'policy_changes',
        'release_runs',
        'schema_migrations',
        'version_records',
      ])
        assert.ok(
          tables.some((t) => t.tablename === table),
          `table ${table}: ${tables.map((t) => t.tablename).join(', ')}`,
        );
      assert.deepEqual(
        tables.filter((t) => t.tableowner !== 'release_promote'),
        [],
        'the role owns every table',
      );
      await server.query(
        "INSERT INTO policy_changes (at, digest, config_file, worker) VALUES (now(), 'sha256:kept', 'compose', 'test')",
      );

      // 3. The job again: nothing is recreated, the data stays.
      await runRecordsDatabase();
      assert.deepEqual(await loginAsRole(password), { owner: 'release_promote', public_connect: false });
      const status = await runMigrate(configFile, ['--status']);
      assert.equal(status.code, 0, status.output);
      assert.match(status.output, /\(current\)/);
      assert.equal((await server.query("SELECT 1 FROM policy_changes WHERE digest = 'sha256:kept'")).length, 1);

      // 4. Rotation: another RELEASE_PROMOTE_DB_PASSWORD and a re-run; the old password stops working.
      const rotated = `rotated-${randomBytes(8).toString('hex')}`;
      await runRecordsDatabase({ RELEASE_PROMOTE_DB_PASSWORD: rotated });
      assert.deepEqual(await loginAsRole(rotated), { owner: 'release_promote', public_connect: false });
      await assert.rejects(loginAsRole(password), /password authentication failed/);
    });
  });
});

void describe('Dockerfile', () => {
  const dockerfile = readFileSync(join(ROOT, 'Dockerfile'), 'utf8');
  const stages = dockerfile.split(/^FROM /m).slice(1);

  void it('builds in one stage and ships only dist, bin and production node_modules in the other', () => {
    assert.equal(stages.length, 2);
    const [build, runtime] = stages as [string, string];
    assert.match(build, /RUN npm ci/);
    assert.match(build, /npm run build/);
    assert.match(build, /npm prune --omit=dev/);
    assert.doesNotMatch(runtime, /COPY (--from=build \S+)?\s*(\S*\/)?src\b/, 'the runtime image has no sources');
    assert.doesNotMatch(runtime, /COPY \. /);
    assert.match(runtime, /COPY --from=build \/app\/dist/);
    assert.match(runtime, /USER node/);
    assert.match(runtime, /ENTRYPOINT \["node", "bin\/release-promote\.mjs"\]/);
    // bin/release-promote.mjs runs dist/client/cli.js whenever src/ is absent (and, in a source
    // checkout, when dist/ is current); the build stage has bin/ for the build's stamp.
    const bin = readFileSync(join(ROOT, 'bin', 'release-promote.mjs'), 'utf8');
    assert.match(bin, /existsSync\(source\) && !distIsCurrent\(root\)/);
    assert.match(bin, /dist', 'client', 'cli\.js'/);
    assert.match(build, /COPY bin \.\/bin/);
    // The records directories (the files store's, and where `audit export` and `collect-evidence`
    // write) exist and belong to the runtime user.
    assert.match(runtime, /mkdir -p \/app\/operational_audit \/app\/TEST\/release/);
  });

  void it('keeps the build context to what the build copies', () => {
    const ignore = readFileSync(join(ROOT, '.dockerignore'), 'utf8')
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l && !l.startsWith('#'));
    assert.equal(ignore[0], '*', 'allowlist');
    const allowed = ignore.filter((l) => l.startsWith('!')).map((l) => l.slice(1).replace(/\/$/, ''));
    for (const copied of [...dockerfile.matchAll(/^COPY (?!--from)(.+) \S+$/gm)].flatMap((m) => m[1]!.split(/\s+/))) {
      assert.ok(allowed.includes(copied.replace(/\/$/, '')), `COPY ${copied} is excluded by .dockerignore`);
    }
    for (const secretish of ['node_modules', 'dist', 'operational_audit', 'TEST', '.release-promote', 'deploy'])
      assert.ok(!allowed.includes(secretish));
  });
});

void describe('deploy/prometheus/prometheus.yml', () => {
  void it('is a valid Prometheus config that scrapes the worker (promtool check config)', async () => {
    const text = readFileSync(join(ROOT, 'deploy', 'prometheus', 'prometheus.yml'), 'utf8');
    assert.match(text, /port: 8080/);
    assert.match(text, /port: 9464/);
    const located = await run('bash', [join(ROOT, 'scripts', 'prometheus', 'ensure-prometheus.sh')], {
      timeout: 300_000,
    });
    const promtool = /^PROMTOOL=(.+)$/m.exec(located.stdout)?.[1];
    assert.ok(promtool, located.stdout);
    const checked = await run(promtool, ['check', 'config', join(ROOT, 'deploy', 'prometheus', 'prometheus.yml')]);
    assert.match(checked.stdout + checked.stderr, /SUCCESS/);
  });
});

void describe('docs/operators.md', () => {
  void it('includes the configuration reference generated from the current schemas', () => {
    const doc = readFileSync(join(ROOT, 'docs', 'operators.md'), 'utf8');
    const begin = doc.indexOf(BEGIN_MARKER);
    const end = doc.indexOf(END_MARKER);
    assert.ok(begin !== -1 && end > begin, 'the config-reference markers');
    assert.equal(
      doc.slice(begin + BEGIN_MARKER.length, end).trim(),
      configReference().trim(),
      'stale: regenerate with node --import tsx scripts/config-reference.ts and paste it between the markers',
    );
  });
});

// ---- Kubernetes ----

interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string };
  [key: string]: unknown;
}
interface RoleObject extends K8sObject {
  rules: Array<{ apiGroups: string[]; resources: string[]; verbs: string[] }>;
}
interface RoleBindingObject extends K8sObject {
  roleRef: { kind: string; name: string };
  subjects: Array<{ kind: string; name: string; namespace: string }>;
}
interface Container {
  name: string;
  image?: string;
  args?: string[];
  env?: Array<{ name: string; value?: string; valueFrom?: unknown }>;
  ports?: Array<{ name: string; containerPort: number }>;
  readinessProbe?: { httpGet?: { path: string; port: string | number } };
  livenessProbe?: { httpGet?: { path: string; port: string | number } };
  volumeMounts?: Array<{ name: string; mountPath: string; readOnly?: boolean }>;
}
interface Volume {
  name: string;
  configMap?: { name: string };
  secret?: { secretName: string; items?: Array<{ key: string; path: string }> };
  persistentVolumeClaim?: { claimName: string };
}
interface DeploymentObject extends K8sObject {
  spec: {
    template: {
      spec: {
        serviceAccountName?: string;
        terminationGracePeriodSeconds?: number;
        initContainers?: Container[];
        containers: Container[];
        volumes?: Volume[];
      };
    };
  };
}

const K8S_DIR = join(ROOT, 'deploy', 'kubernetes');
const manifestFiles = readdirSync(K8S_DIR).filter((f) => f.endsWith('.yaml') && f !== 'kustomization.yaml');
const objects: K8sObject[] = manifestFiles.flatMap((file) =>
  parseAllDocuments(readFileSync(join(K8S_DIR, file), 'utf8')).map((doc) => {
    assert.deepEqual(doc.errors, [], `${file}: ${doc.errors.map((e) => e.message).join('; ')}`);
    return doc.toJS() as K8sObject;
  }),
);
const byKind = <T extends K8sObject>(kind: string) => objects.filter((o) => o.kind === kind) as T[];
const find = <T extends K8sObject>(kind: string, name: string) => byKind<T>(kind).find((o) => o.metadata.name === name);
const clusterConfig = (): Config => {
  const cm = find<K8sObject & { data: Record<string, string> }>('ConfigMap', 'release-promote-config');
  assert.ok(cm, 'ConfigMap release-promote-config');
  return configSchema.parse(parseYaml(cm.data['release-promote.yaml']!));
};

const WORKER_SA = { name: 'release-promote-worker', namespace: 'release-promote' };
const EXPECTED_RULES = [
  { apiGroups: ['apps'], resources: ['deployments'], verbs: ['create', 'delete', 'get', 'patch', 'update'] },
  { apiGroups: ['gateway.networking.k8s.io'], resources: ['httproutes'], verbs: ['get', 'patch'] },
  { apiGroups: [''], resources: ['services'], verbs: ['create', 'get'] },
];

void describe('deploy/kubernetes', () => {
  void it('parses: every document is a named object, and kustomization lists every file', () => {
    assert.ok(objects.length >= 11);
    for (const o of objects) {
      assert.ok(o.apiVersion && o.kind && o.metadata?.name, JSON.stringify(o).slice(0, 200));
      if (o.kind !== 'Namespace') assert.ok(o.metadata.namespace, `${o.kind}/${o.metadata.name} names its namespace`);
    }
    const kustomization = parseYaml(readFileSync(join(K8S_DIR, 'kustomization.yaml'), 'utf8')) as {
      resources: string[];
    };
    assert.deepEqual([...kustomization.resources].sort(), [...manifestFiles].sort());
  });

  void it('the ConfigMap holds a config that parses, with in-cluster Kubernetes targets', () => {
    const config = clusterConfig();
    for (const [name, env] of Object.entries(config.environments)) {
      assert.equal(env.target.type, 'kubernetes', name);
      if (env.target.type === 'kubernetes') assert.equal(env.target.inCluster, true, name);
    }
  });

  void it('RBAC: exactly the Kubernetes target verbs, in exactly the namespaces the config deploys to', () => {
    const config = clusterConfig();
    const targetNamespaces = Object.values(config.environments)
      .map((e) => (e.target.type === 'kubernetes' ? e.target.namespace : null))
      .filter((n): n is string => n !== null)
      .sort();
    const roles = byKind<RoleObject>('Role');
    assert.deepEqual(roles.map((r) => r.metadata.namespace).sort(), targetNamespaces);
    for (const role of roles) {
      const rules = role.rules.map((r) => ({ ...r, verbs: [...r.verbs].sort() }));
      assert.deepEqual(rules, EXPECTED_RULES, `Role ${role.metadata.namespace}/${role.metadata.name}`);
    }
    const bindings = byKind<RoleBindingObject>('RoleBinding');
    assert.deepEqual(bindings.map((b) => b.metadata.namespace).sort(), targetNamespaces);
    for (const b of bindings) {
      assert.deepEqual(b.roleRef, {
        apiGroup: 'rbac.authorization.k8s.io',
        kind: 'Role',
        name: 'release-promote-deployer',
      });
      assert.deepEqual(b.subjects, [{ kind: 'ServiceAccount', ...WORKER_SA }]);
    }
    assert.equal(byKind('ClusterRole').length + byKind('ClusterRoleBinding').length, 0, 'no cluster-wide rights');
    assert.ok(find('ServiceAccount', WORKER_SA.name));
  });

  void it('the worker and gateway Deployments run real commands with probes on declared ports and the secrets the config names', () => {
    const config = clusterConfig();
    const worker = find<DeploymentObject>('Deployment', 'release-promote-worker');
    const gateway = find<DeploymentObject>('Deployment', 'release-promote-slack-gateway');
    assert.ok(worker && gateway);
    assert.equal(worker.spec.template.spec.serviceAccountName, WORKER_SA.name);
    assert.ok(
      (worker.spec.template.spec.terminationGracePeriodSeconds ?? 30) > 30,
      'longer than the 30s shutdown grace',
    );
    const [wc] = worker.spec.template.spec.containers;
    const [gc] = gateway.spec.template.spec.containers;
    assert.ok(wc && gc);
    assert.deepEqual(wc.args, ['worker']);
    assert.deepEqual(gc.args, ['slack-gateway']);
    for (const c of [wc, gc]) {
      const ports = new Set(c.ports?.map((p) => p.name));
      for (const probe of [c.readinessProbe, c.livenessProbe])
        assert.ok(probe?.httpGet && ports.has(String(probe.httpGet.port)), `${c.name} probe port`);
      const env = new Set(c.env?.map((e) => e.name));
      assert.ok(env.has('TEMPORAL_ADDRESS') && env.has('RELEASE_PROMOTE_CONFIG'), c.name);
    }
    assert.equal(wc.readinessProbe?.httpGet?.path, '/readyz');
    assert.equal(wc.livenessProbe?.httpGet?.path, '/healthz');
    const workerEnv = new Set(wc.env?.map((e) => e.name));
    if (config.notifications.provider === 'slack') assert.ok(workerEnv.has(config.notifications.botTokenEnv));
    if (config.gates.provider === 'github') assert.ok(workerEnv.has(config.gates.tokenEnv));
    assert.ok(new Set(gc.env?.map((e) => e.name)).has(config.slack.signingSecretEnv));
    // The records: the postgres store over verified TLS (no volumes), its password in the Secret
    // release-promote-records-db, mounted where passwordFile points in the worker and in the init
    // container that runs `migrate` with the same image and config before the worker starts.
    assert.equal(config.records.store, 'postgres');
    const postgres = config.records.postgres;
    assert.ok(postgres, 'records.postgres');
    const url = new URL(postgres.url);
    assert.equal(url.username, 'release_promote');
    assert.equal(url.pathname, '/release_promote');
    assert.equal(postgres.tls.mode, 'verify-full');
    const passwordFile = postgres.passwordFile;
    assert.ok(passwordFile, 'the password comes from a mounted Secret (records.postgres.passwordFile)');
    assert.equal(byKind('PersistentVolumeClaim').length, 0, 'no records volumes');
    const volumes = worker.spec.template.spec.volumes ?? [];
    assert.deepEqual(
      volumes.filter((v) => v.persistentVolumeClaim),
      [],
      'no records volumes',
    );
    const initContainers = worker.spec.template.spec.initContainers ?? [];
    assert.equal(initContainers.length, 1);
    const [migrate] = initContainers as [Container];
    assert.deepEqual(migrate.args, ['migrate']);
    assert.equal(migrate.image, wc.image, 'the same image as the worker');
    const configPath = wc.env?.find((e) => e.name === 'RELEASE_PROMOTE_CONFIG')?.value;
    assert.ok(configPath);
    const volumeAt = (c: Container, file: string) => {
      const mount = c.volumeMounts?.find((m) => file.startsWith(`${m.mountPath}/`));
      return (
        mount && {
          mount,
          volume: volumes.find((v) => v.name === mount.name),
          file: file.slice(mount.mountPath.length + 1),
        }
      );
    };
    for (const c of [migrate, wc]) {
      assert.equal(c.env?.find((e) => e.name === 'RELEASE_PROMOTE_CONFIG')?.value, configPath, `${c.name}: the config`);
      assert.equal(volumeAt(c, configPath)?.volume?.configMap?.name, 'release-promote-config', `${c.name}: the config`);
      const secret = volumeAt(c, passwordFile);
      assert.ok(secret, `${c.name} mounts ${passwordFile}`);
      assert.equal(secret.mount.readOnly, true);
      assert.equal(secret.volume?.secret?.secretName, 'release-promote-records-db', `${c.name}: ${passwordFile}`);
      const item = secret.volume.secret.items?.find((i) => i.path === secret.file);
      assert.equal(item ? item.key : secret.file, 'password', 'the key `password` of the Secret');
    }
    assert.ok(
      !gc.volumeMounts?.some((m) => passwordFile.startsWith(`${m.mountPath}/`)),
      'the gateway, which reads no records, does not mount the password',
    );
    const workerService = find<K8sObject & { spec: { ports: Array<{ name: string; port: number }> } }>(
      'Service',
      'release-promote-worker',
    );
    assert.deepEqual(workerService?.spec.ports.map((p) => p.port).sort(), [8080, 9464]);
  });

  void describe('on a real kube-apiserver', () => {
    let k8s: typeof K8sModule;
    let server: KubeApiServer;
    before(async () => {
      k8s = await import('@kubernetes/client-node');
      server = await startKubeApiServer();
    });
    after(async () => {
      await server?.stop();
    });

    void it('accepts every object with strict field validation', async () => {
      const kc = server.kubeConfig;
      const core = kc.makeApiClient(k8s.CoreV1Api);
      const rbac = kc.makeApiClient(k8s.RbacAuthorizationV1Api);
      const apps = kc.makeApiClient(k8s.AppsV1Api);
      const strict = { fieldValidation: 'Strict' };
      const namespaces = new Set(objects.map((o) => o.metadata.namespace).filter((n): n is string => Boolean(n)));
      for (const o of byKind('Namespace')) namespaces.delete(o.metadata.name);
      for (const name of namespaces) await core.createNamespace({ body: { metadata: { name } } });
      const order = ['Namespace', 'ServiceAccount', 'ConfigMap', 'Role', 'RoleBinding', 'Deployment', 'Service'];
      assert.deepEqual(
        [...new Set(objects.map((o) => o.kind))].filter((k) => !order.includes(k)),
        [],
        'every kind is applied below',
      );
      for (const kind of order) {
        for (const o of byKind(kind)) {
          const namespace = o.metadata.namespace ?? '';
          const body = o as never;
          const create: Record<string, () => Promise<unknown>> = {
            Namespace: () => core.createNamespace({ body, ...strict }),
            ServiceAccount: () => core.createNamespacedServiceAccount({ namespace, body, ...strict }),
            ConfigMap: () => core.createNamespacedConfigMap({ namespace, body, ...strict }),
            Service: () => core.createNamespacedService({ namespace, body, ...strict }),
            Role: () => rbac.createNamespacedRole({ namespace, body, ...strict }),
            RoleBinding: () => rbac.createNamespacedRoleBinding({ namespace, body, ...strict }),
            Deployment: () => apps.createNamespacedDeployment({ namespace, body, ...strict }),
          };
          await create[kind]!().catch((err: unknown) =>
            assert.fail(`${kind} ${namespace}/${o.metadata.name} refused: ${(err as Error).message}`),
          );
        }
      }
    });

    void it("the worker's service account may do what the target needs there, and nothing else", async () => {
      const authz = server.kubeConfig.makeApiClient(k8s.AuthorizationV1Api);
      const user = `system:serviceaccount:${WORKER_SA.namespace}:${WORKER_SA.name}`;
      const can = async (
        verb: string,
        resource: string,
        namespace: string | undefined,
        subresource?: string,
        group = 'apps',
      ) => {
        const review = await authz.createSubjectAccessReview({
          body: {
            spec: {
              user,
              groups: [
                'system:serviceaccounts',
                `system:serviceaccounts:${WORKER_SA.namespace}`,
                'system:authenticated',
              ],
              resourceAttributes: { group, resource, subresource, verb, namespace },
            },
          },
        });
        return review.status?.allowed === true;
      };
      const config = clusterConfig();
      const targets = Object.values(config.environments).map((e) =>
        e.target.type === 'kubernetes' ? e.target.namespace : '',
      );
      for (const ns of targets) {
        for (const verb of ['get', 'patch', 'create', 'update', 'delete'])
          assert.ok(await can(verb, 'deployments', ns), `${verb} deployments in ${ns}`);
        for (const verb of ['list', 'watch', 'deletecollection'])
          assert.ok(!(await can(verb, 'deployments', ns)), `no ${verb} deployments in ${ns}`);
        for (const [verb, sub] of [
          ['get', 'status'],
          ['patch', 'status'],
          ['update', 'status'],
          ['patch', 'scale'],
          ['get', 'scale'],
        ] as const) {
          assert.ok(!(await can(verb, 'deployments', ns, sub)), `no ${verb} deployments/${sub} in ${ns}`);
        }
        assert.ok(!(await can('get', 'secrets', ns, undefined, '')), `no secrets in ${ns}`);
        assert.ok(!(await can('list', 'pods', ns, undefined, '')), `no pods in ${ns}`);
        assert.ok(!(await can('patch', 'statefulsets', ns)), `no statefulsets in ${ns}`);
      }
      assert.ok(!(await can('get', 'deployments', 'kube-system')), 'not in other namespaces');
      assert.ok(!(await can('patch', 'deployments', WORKER_SA.namespace)), 'not even its own namespace');
      assert.ok(!(await can('list', 'deployments', undefined)), 'not cluster-wide');
    });
  });
});
