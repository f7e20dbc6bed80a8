// The deployment files: docker-compose.yml, the Dockerfile, the example production config, the
// Prometheus config and the Kubernetes manifests.
//
// - docker-compose.yml: `docker compose config` when the compose plugin is installed; always a
//   structural check (image or build everywhere, healthchecks, depends_on conditions that can be
//   met, declared volumes mounted where the config writes its records), the worker's and the
//   gateway's commands run as real CLI commands (`--help` exits 0), and the search-attribute job's
//   script really registers the six release search attributes on a Temporal dev server (twice:
//   it must be re-runnable).
// - Kubernetes: every manifest parses; RBAC gives exactly the verbs the Kubernetes target needs in
//   exactly the namespaces the config deploys to; then everything is created on a real
//   kube-apiserver (strict field validation) and SubjectAccessReviews check what the worker's
//   service account may and may not do.
//
// Run: node --import tsx --test test/deploy/compose.test.ts
import assert from 'node:assert/strict';
import { execFile, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'node:test';
import { parse as parseYaml, parseAllDocuments } from 'yaml';
import { Connection } from '@temporalio/client';
import type * as K8sModule from '@kubernetes/client-node' with { 'resolution-mode': 'import' };
import { configSchema, type Config } from '../../src/config/schema';
import { loadConfig } from '../../src/config/load';
import { releaseSearchAttributes } from '../../src/shared/search-attributes';
import { startDevServer, type DevServer } from '../../src/servers/dev-server';
import { temporalCliPath } from '../../src/servers/locate';
import { startKubeApiServer, type KubeApiServer } from '../helpers/kube-apiserver';
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
      'worker',
      'slack-gateway',
      'prometheus',
    ]) {
      assert.ok(services[name], `service ${name} is missing`);
    }
    for (const [name, service] of Object.entries(services)) {
      assert.ok(service.image || service.build, `service ${name} has neither image nor build`);
    }
    for (const name of ['worker', 'slack-gateway']) {
      assert.ok(services[name]!.build, `${name} is built from the Dockerfile`);
      assert.equal((services[name]!.build as { dockerfile?: string }).dockerfile, 'Dockerfile');
    }
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
    assert.equal(dependsOn('worker', 'register-search-attributes'), 'service_completed_successfully');
    assert.equal(dependsOn('slack-gateway', 'register-search-attributes'), 'service_completed_successfully');
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
    for (const volume of ['operational_audit', 'release_evidence'])
      assert.ok(compose.volumes && volume in compose.volumes, `volume ${volume}`);
  });

  void it('mounts deploy/release-promote.yaml as the config, and the records volumes where that config writes', () => {
    const worker = services.worker!;
    const configPath = environment(worker).RELEASE_PROMOTE_CONFIG;
    assert.ok(configPath, 'RELEASE_PROMOTE_CONFIG is set');
    for (const name of ['worker', 'slack-gateway']) {
      const mount: { source: string; target: string } | undefined = mounts(services[name]!).find(
        (m) => m.target === configPath,
      );
      assert.ok(mount, `${name} mounts the config at ${configPath}`);
      assert.equal(mount.source, './deploy/release-promote.yaml');
    }
    const config = loadConfig(join(ROOT, 'deploy', 'release-promote.yaml'));
    const volumeAt = (dir: string) =>
      mounts(worker).find((m) => isNamedVolume(m.source) && (dir === m.target || dir.startsWith(`${m.target}/`)))
        ?.source;
    assert.equal(volumeAt(config.records.auditDir), 'operational_audit', `records.auditDir ${config.records.auditDir}`);
    assert.equal(volumeAt(config.records.sotDir), 'operational_audit', `records.sotDir ${config.records.sotDir}`);
    assert.equal(
      volumeAt(config.records.evidenceDir),
      'release_evidence',
      `records.evidenceDir ${config.records.evidenceDir}`,
    );
    assert.ok(config.records.evidenceDir.endsWith('/TEST/release'));
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

  void it('runs real CLI commands in the worker and the Slack gateway', () => {
    for (const name of ['worker', 'slack-gateway']) {
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
    // bin/release-promote.mjs runs dist/client/cli.js exactly when src/ is absent.
    const bin = readFileSync(join(ROOT, 'bin', 'release-promote.mjs'), 'utf8');
    assert.match(bin, /existsSync\(source\)/);
    assert.match(bin, /dist', 'client', 'cli\.js'/);
    // The records directories the compose volumes mount exist and belong to the runtime user.
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
  args?: string[];
  env?: Array<{ name: string; value?: string; valueFrom?: unknown }>;
  ports?: Array<{ name: string; containerPort: number }>;
  readinessProbe?: { httpGet?: { path: string; port: string | number } };
  livenessProbe?: { httpGet?: { path: string; port: string | number } };
  volumeMounts?: Array<{ name: string; mountPath: string }>;
}
interface DeploymentObject extends K8sObject {
  spec: {
    template: {
      spec: {
        serviceAccountName?: string;
        terminationGracePeriodSeconds?: number;
        containers: Container[];
        volumes?: Array<{ name: string }>;
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
    assert.ok(objects.length >= 12);
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
    // Records on the PVCs at the config's paths.
    const mountFor = (dir: string) =>
      wc.volumeMounts?.find((m) => dir === m.mountPath || dir.startsWith(`${m.mountPath}/`));
    for (const dir of [config.records.auditDir, config.records.sotDir, config.records.evidenceDir])
      assert.ok(mountFor(dir), `${dir} is on a mounted volume`);
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
      const order = [
        'Namespace',
        'ServiceAccount',
        'ConfigMap',
        'PersistentVolumeClaim',
        'Role',
        'RoleBinding',
        'Deployment',
        'Service',
      ];
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
            PersistentVolumeClaim: () => core.createNamespacedPersistentVolumeClaim({ namespace, body, ...strict }),
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
