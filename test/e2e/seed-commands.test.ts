// Every command of the seed (RELEASE-PROMOTE.md) run as written, with bash, from a git repository,
// against a real Temporal dev server and a worker over the simulated target. The scripts spawn the CLI
// as a separate process: it gets the worker's config through RELEASE_PROMOTE_CONFIG (a YAML file with
// short durations: soak 2s, canary 3s, checks every 1s) and the server through TEMPORAL_ADDRESS.
// Also: --help and unknown options of every script, and the GitHub workflows parse as YAML.
// Run: node --import tsx --test test/e2e/seed-commands.test.ts
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { runProcess, type Run } from '../helpers/processes';
import {
  accessSync,
  constants,
  existsSync,
  mkdirSync,
  readFileSync,
  readdirSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { parseDocument, stringify } from 'yaml';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { createDevEnv } from '../helpers/temporal-env';
import { createHarness, type Harness } from '../helpers/release-harness';
import { statusQuery } from '../../src/shared/messages';
import type { ReleaseResult } from '../../src/shared/release';
import type { EnvironmentRecords } from '../../src/shared/ledger';
import type { AuditEntry } from '../../src/shared/audit';

const ROOT = join(__dirname, '..', '..');
const SCRIPTS = [
  'deploy.sh',
  ...[
    'request-canary',
    'approve-canary',
    'rollback',
    'verify-rollback',
    'update-sot',
    'collect-evidence',
    'hotfix-promote',
  ].map((s) => `release/${s}.sh`),
];
const SHORT_STAGES = {
  staging: { soak: '2s', healthCheckInterval: '1s', maxTotalSoak: '1m' },
  approval: { reminderInterval: '1m' },
  canary: { minDuration: '3s', analysisInterval: '1s', pauseReminderInterval: '1m' },
};
// The seed's own names: @username approves the canary, @senior-eng and @team-lead the hotfix.
const ROLES = { RELEASE_APPROVER: ['@username', '@alice', '@senior-eng', '@team-lead'] };
const REQUESTER = '@ci-bot';
const CI_RUN_ID = '4242';

const outputLines = (text: string) => text.split('\n').filter(Boolean);

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    p,
    new Promise<never>(
      (_, reject) => (timer = setTimeout(() => reject(new Error(`${what}: no result within ${ms} ms`)), ms)),
    ),
  ]).finally(() => clearTimeout(timer));
}

test('--help and unknown options of every script', async () => {
  for (const script of SCRIPTS) {
    const path = join(ROOT, 'scripts', script);
    accessSync(path, constants.X_OK);
    const help = await runIn(ROOT, `./scripts/${script} --help`);
    assert.equal(help.code, 0, `${script} --help`);
    assert.ok(
      help.stdout.startsWith(`Usage: ./scripts/${script} `),
      `${script} --help starts with its usage: ${help.stdout.split('\n')[0]}`,
    );
    const bad = await runIn(ROOT, `./scripts/${script} --frobnicate`);
    assert.equal(bad.code, 2, `${script} --frobnicate exits 2`);
    assert.equal(bad.stdout, '');
    assert.equal(outputLines(bad.stderr).length, 1, `one line: ${bad.stderr}`);
    assert.match(
      bad.stderr,
      new RegExp(`^${script.replace('release/', '').replace('.', '\\.')}: unknown option "--frobnicate"`),
    );
  }
});

test('the GitHub workflows are valid YAML and run the seed commands', () => {
  const load = (name: string) => {
    const doc = parseDocument(readFileSync(join(ROOT, '.github', 'workflows', name), 'utf8'), {
      uniqueKeys: true,
      prettyErrors: true,
    });
    assert.deepEqual(
      doc.errors.map((e) => e.message),
      [],
      `${name} parses`,
    );
    assert.deepEqual(
      doc.warnings.map((e) => e.message),
      [],
      `${name} has no YAML warnings`,
    );
    return doc.toJS() as {
      on: Record<string, unknown>;
      jobs: Record<
        string,
        { 'runs-on': string; steps: Array<{ run?: string; uses?: string; env?: Record<string, string> }> }
      >;
    };
  };
  const runs = (wf: ReturnType<typeof load>) =>
    Object.values(wf.jobs).flatMap((j) => j.steps.map((s) => s.run).filter((r): r is string => r !== undefined));

  const staging = load('promote-staging.yml');
  assert.deepEqual(staging.on, { push: { branches: ['main'] } }, 'on push to main');
  assert.ok(runs(staging).includes('./scripts/deploy.sh staging ${{ github.sha }}'), "the seed's step, verbatim");
  const connection = staging.jobs.promote!.steps.find((s) => s.env?.ADDRESS);
  assert.equal(connection?.env?.ADDRESS, '${{ secrets.TEMPORAL_ADDRESS }}');
  assert.equal(connection?.env?.NAMESPACE, '${{ secrets.TEMPORAL_NAMESPACE }}');
  assert.equal(connection?.env?.API_KEY, '${{ secrets.TEMPORAL_API_KEY }}');

  const release = load('release.yml');
  assert.ok((release.on.push as { tags: string[] }).tags.length > 0, 'on tag push');
  assert.ok('workflow_dispatch' in release.on, 'approvals and operations from the Actions tab');
  for (const wf of [staging, release]) {
    for (const job of Object.values(wf.jobs)) {
      assert.equal(job['runs-on'], 'ubuntu-latest');
      for (const step of job.steps)
        assert.ok(step.run !== undefined || step.uses !== undefined, 'every step runs or uses something');
    }
    for (const script of runs(wf)) {
      // Every script a step calls exists, and every run block is valid bash (expressions stubbed).
      for (const [, path] of script.matchAll(/\.\/(scripts\/[\w/.-]+\.sh)/g))
        assert.ok(existsSync(join(ROOT, path!)), `${path} exists`);
      execFileSync('bash', ['-n', '-c', script.replace(/\$\{\{[^}]*\}\}/g, 'X')]);
    }
  }
  assert.ok(
    runs(release).some((r) => r.includes('./scripts/release/approve-canary.sh "$VERSION" --approver="@$GITHUB_ACTOR"')),
  );
});

/** Every file under `dir` with its content, to compare byte for byte. */
function snapshotFiles(dir: string): Record<string, string> {
  const files: Record<string, string> = {};
  for (const entry of readdirSync(dir, { recursive: true, withFileTypes: true })) {
    if (entry.isFile())
      files[join(entry.parentPath, entry.name).slice(dir.length)] = readFileSync(
        join(entry.parentPath, entry.name),
        'utf8',
      );
  }
  return files;
}

function runIn(cwd: string, command: string, env: NodeJS.ProcessEnv = process.env): Promise<Run> {
  return runProcess('bash', ['-c', command], { cwd, env });
}

describe("the seed's commands, as written, against a dev server", () => {
  let env: TestWorkflowEnvironment;
  let h: Harness;
  let running: Promise<void>;
  let repo: string;
  let childEnv: NodeJS.ProcessEnv;
  const sha = { one: '', two: '' };
  const timings: string[] = [];
  const t0 = Date.now();

  /** Runs a command line with bash in the git repository, as a person or CI would. */
  const sh = async (command: string, extraEnv: NodeJS.ProcessEnv = {}): Promise<Run> => {
    const started = Date.now();
    const result = await runIn(repo, command, { ...childEnv, ...extraEnv });
    timings.push(`${((Date.now() - started) / 1000).toFixed(1)}s  ${command.split('\n')[0]}`);
    return result;
  };
  const git = (...args: string[]) => execFileSync('git', args, { cwd: repo, env: childEnv, encoding: 'utf8' }).trim();
  const result = (workflowId: string) =>
    withTimeout(h.client.workflow.getHandle(workflowId).result(), 120_000, workflowId) as Promise<ReleaseResult>;
  const status = (workflowId: string) => h.client.workflow.getHandle(workflowId).query(statusQuery);
  const sot = () =>
    JSON.parse(readFileSync(join(h.config.records.sotDir, 'production.json'), 'utf8')) as EnvironmentRecords;
  const ok = (r: Run, what: string) =>
    assert.equal(r.code, 0, `${what} exited ${r.code}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`);

  before(async () => {
    env = await createDevEnv();
    timings.push(`dev server up after ${Date.now() - t0} ms at ${env.address}`);
    h = await createHarness(env, { config: { roles: ROLES, stages: SHORT_STAGES } });
    running = h.worker.run();

    // The CLI's config: where Temporal's task queue, the simulated target and the records are. The
    // policy (roles, durations) is the installation's: the worker's config, not this file.
    const configFile = join(h.dir, 'release-promote.yaml');
    writeFileSync(
      configFile,
      stringify({
        temporal: { taskQueue: h.config.temporal.taskQueue },
        simulation: { scenario: 'healthy', stateDir: h.config.simulation.stateDir },
        records: h.config.records,
      }),
    );
    childEnv = { ...process.env };
    for (const key of Object.keys(childEnv)) {
      if (/^(TEMPORAL_|RELEASE_|GITHUB_|GIT_)/.test(key)) delete childEnv[key];
    }
    Object.assign(childEnv, {
      TEMPORAL_ADDRESS: env.address,
      TEMPORAL_NAMESPACE: env.namespace ?? 'default',
      TEMPORAL_CONFIG_FILE: join(h.dir, 'no-temporal-profile.toml'),
      RELEASE_PROMOTE_CONFIG: configFile,
      RELEASE_PROMOTE_USER: REQUESTER,
      GITHUB_RUN_ID: CI_RUN_ID,
      GIT_CONFIG_GLOBAL: '/dev/null',
      GIT_CONFIG_NOSYSTEM: '1',
      GIT_AUTHOR_NAME: 'Dev',
      GIT_AUTHOR_EMAIL: 'dev@example.com',
      GIT_COMMITTER_NAME: 'Dev',
      GIT_COMMITTER_EMAIL: 'dev@example.com',
    });

    // A repository with the scripts where the seed has them; v1.2.2 is an untagged commit, v1.2.3 a tagged one.
    repo = join(h.dir, 'repo');
    mkdirSync(repo);
    symlinkSync(join(ROOT, 'scripts'), join(repo, 'scripts'));
    git('init', '-q', '-b', 'main');
    writeFileSync(join(repo, '.gitignore'), 'scripts\n');
    writeFileSync(join(repo, 'app.txt'), 'one\n');
    git('add', '.');
    git('commit', '-q', '-m', 'feature one');
    sha.one = git('rev-parse', 'HEAD');
    writeFileSync(join(repo, 'app.txt'), 'two\n');
    git('commit', '-q', '-am', 'feature two');
    git('tag', 'v1.2.3');
    sha.two = git('rev-parse', 'HEAD');
  });

  after(async () => {
    h?.worker.shutdown();
    await running?.catch(() => undefined);
    await h?.cleanup();
    await env?.teardown();
    timings.push(`total ${((Date.now() - t0) / 1000).toFixed(1)}s`);
    console.log(timings.join('\n'));
  });

  test('deploy.sh accepts only staging, and refuses an untagged commit without RELEASE_VERSION', async () => {
    const production = await sh(`./scripts/deploy.sh production ${sha.two}`);
    assert.equal(production.code, 2);
    assert.equal(
      production.stderr,
      'deploy.sh: a release enters at staging: the first argument must be "staging", not "production" (production is reached by approval: request-canary.sh, approve-canary.sh)\n',
    );
    const untagged = await sh(`./scripts/deploy.sh staging ${sha.one}`);
    assert.equal(untagged.code, 2);
    assert.equal(outputLines(untagged.stderr).length, 1);
    assert.match(untagged.stderr, new RegExp(`commit ${sha.one} has no vX\\.Y\\.Z tag and RELEASE_VERSION is not set`));
  });

  test('RELEASE_VERSION=v1.2.2 ./scripts/deploy.sh staging <sha>, then approval: v1.2.2 reaches production', async () => {
    const started = await sh(`./scripts/deploy.sh staging ${sha.one.slice(0, 7)}`, { RELEASE_VERSION: 'v1.2.2' });
    ok(started, 'deploy.sh');
    assert.match(
      started.stdout,
      /^started release-v1\.2\.2 \(run [0-9a-f-]+\) under the installation's policy sha256:[0-9a-f]{64}: .*\nfollow it with "release-promote watch v1\.2\.2"\n$/,
    );
    assert.equal(started.stderr, '', 'a client config without policy settings has nothing to disagree with');
    ok(await sh('./scripts/release/approve-canary.sh v1.2.2 --approver=@alice'), 'approve-canary.sh');
    const r = await result('release-v1.2.2');
    assert.equal(r.outcome, 'PROMOTED', r.reason);
    assert.equal(
      (await status('release-v1.2.2')).commitSha,
      sha.one,
      'the abbreviated SHA was resolved to the full one',
    );
  });

  test('Stages 1-3 as the seed writes them: deploy.sh staging <sha> → request-canary.sh → approve-canary.sh → production', async () => {
    // Stage 1: merge to main.
    const started = await sh(`./scripts/deploy.sh staging ${sha.two}`);
    ok(started, 'deploy.sh');
    assert.match(
      started.stdout,
      /^started release-v1\.2\.3 \(run [0-9a-f-]+\) under the installation's policy sha256:[0-9a-f]{64}: dev gates → staging \(2s soak\) → approval by RELEASE_APPROVER → 10% canary \(3s\) → production\n/,
    );
    // A re-run of the CI job is a no-op; the same version from another commit is refused.
    const again = await sh(`./scripts/deploy.sh staging ${sha.two}`);
    ok(again, 'deploy.sh again');
    assert.match(
      again.stdout,
      new RegExp(
        `^v1\\.2\\.3 is already being promoted from ${sha.two.slice(0, 12)} \\(release-v1\\.2\\.3, [A-Z_]+\\); nothing started\n$`,
      ),
    );
    const other = await sh(`./scripts/deploy.sh staging ${sha.one}`, { RELEASE_VERSION: 'v1.2.3' });
    assert.equal(other.code, 2);
    assert.equal(
      other.stderr,
      `release-promote: v1.2.3 is already being promoted (release-v1.2.3 is running, from commit ${sha.two.slice(0, 12)}); see "release-promote status v1.2.3"\n`,
    );

    // Stage 2: request and approve.
    const requested = await sh('./scripts/release/request-canary.sh v1.2.3');
    ok(requested, 'request-canary.sh');
    assert.equal(requested.stdout, 'approval requested from holders of RELEASE_APPROVER\n');
    const refused = await sh(`./scripts/release/approve-canary.sh v1.2.3 --approver=${REQUESTER}`);
    assert.equal(refused.code, 2);
    assert.equal(
      refused.stderr,
      `release-promote: refused: ${REQUESTER} does not hold RELEASE_APPROVER, the role needed to approve a canary promotion\n`,
    );
    const approved = await sh('./scripts/release/approve-canary.sh v1.2.3 --approver=@username');
    ok(approved, 'approve-canary.sh');
    assert.match(
      approved.stdout,
      /^approved: 1 of 1 approval \(@username\); the canary starts when every other condition holds\n$/,
    );

    // Stage 3: automatic after the canary.
    const r = await result('release-v1.2.3');
    assert.equal(r.outcome, 'PROMOTED', r.reason);
    const s = await status('release-v1.2.3');
    assert.deepEqual(
      s.history.map((t) => t.to).filter((t) => t !== 'AWAITING_APPROVAL'),
      ['DEPLOYING_STAGING', 'STAGING_SOAK', 'CANARY', 'PRODUCTION_ROLLOUT', 'PROMOTED'],
    );
    assert.equal(s.commitSha, sha.two);
    assert.equal(s.requestedBy, REQUESTER);
    assert.equal(s.ciRunId, CI_RUN_ID);
    assert.deepEqual(
      s.approval.approvals.map((a) => [a.approver, a.channel]),
      [['@username', 'cli']],
    );
    assert.equal(s.approval.requestedBy, REQUESTER, 'request-canary.sh asked');
    const audit = readFileSync(join(h.config.records.auditDir, 'v1.2.3.jsonl'), 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as AuditEntry);
    assert.ok(
      audit.every((e) => e.ci_run_id === CI_RUN_ID && e.commit_sha === sha.two),
      'the audit trail carries the CI run and commit',
    );
    assert.ok(audit.some((e) => e.action === 'approve' && e.approved_by === '@username' && e.channel === 'cli'));
    assert.equal(sot().current?.version, 'v1.2.3');
  });

  test('update-sot.sh as written records v1.2.3 in the production version records', async () => {
    const before = sot();
    const r = await sh(`./scripts/release/update-sot.sh v1.2.3 \\
  --environment=production \\
  --promoted-by=@username \\
  --promotion-time=$(date -u +%Y-%m-%dT%H:%M:%SZ)`);
    ok(r, 'update-sot.sh');
    assert.match(
      r.stdout,
      new RegExp(
        `^production: v1\\.2\\.3 recorded by hand by @username at \\S+ \\(revision ${before.revision + 1}\\)\n$`,
      ),
    );
    const after = sot();
    assert.equal(after.revision, before.revision + 1);
    assert.equal(after.current?.version, 'v1.2.3');
    assert.equal(after.current?.action, 'manual');
    assert.equal(after.current?.promotedBy, '@username');
    assert.ok(
      Math.abs(Date.parse(after.current.promotedAt) - Date.now()) < 120_000,
      `promotion time ${after.current?.promotedAt}`,
    );
    assert.match(after.current.promotedAt, /:\d\d\.000Z$/, 'the time given, to the second');
    assert.deepEqual(after.previous[0], before.current, 'the previous record is kept');
  });

  test('collect-evidence.sh v1.2.3 generates promotion.log, metrics.json and approval.json', async () => {
    const dir = join(h.config.records.evidenceDir, 'v1.2.3');
    rmSync(dir, { recursive: true, force: true });
    const r = await sh('./scripts/release/collect-evidence.sh v1.2.3');
    ok(r, 'collect-evidence.sh');
    assert.deepEqual(
      outputLines(r.stdout),
      ['promotion.log', 'metrics.json', 'approval.json'].map((f) => join(dir, f)),
    );
    const log = readFileSync(join(dir, 'promotion.log'), 'utf8');
    assert.match(log, /^# Promotion log: v1\.2\.3 \(standard\)\n/);
    assert.match(log, /\noutcome: PROMOTED — v1\.2\.3 serves 100% of production/);
    assert.match(
      log,
      /approval_request +(dev|staging) \((DEV_GATES|DEPLOYING_STAGING|STAGING_SOAK|AWAITING_APPROVAL)\)/,
    );
    assert.match(log, / approve +(dev|staging) \(\w+\) by @username +approved via cli/);
    assert.match(log, / promote +staging → canary \(CANARY\) by @username +deploying v1\.2\.3 as a 10% canary/);
    const metrics = JSON.parse(readFileSync(join(dir, 'metrics.json'), 'utf8')) as {
      evaluations: Array<{ verdict: string; reason: string }>;
    };
    assert.ok(
      metrics.evaluations.length >= 3,
      `${metrics.evaluations.length} canary evaluations (3s canary, every 1s)`,
    );
    assert.ok(metrics.evaluations.every((e) => e.verdict === 'pass' && /error rate 0\.32% vs 0\.3%/.test(e.reason)));
    const approval = JSON.parse(readFileSync(join(dir, 'approval.json'), 'utf8')) as {
      approvals: Array<{ approver: string; channel: string; at: string }>;
    };
    assert.deepEqual(
      approval.approvals.map((a) => [a.approver, a.channel]),
      [['@username', 'cli']],
    );
    assert.ok(!Number.isNaN(Date.parse(approval.approvals[0]!.at)));
  });

  test('a CI re-run of deploy.sh after PROMOTED starts nothing and leaves the evidence byte-for-byte unchanged', async () => {
    const evidenceDir = join(h.config.records.evidenceDir, 'v1.2.3');
    const before = snapshotFiles(evidenceDir);
    assert.ok(
      Object.keys(before).length >= 6,
      `the seed's three files and the run's own copies: ${Object.keys(before).join(', ')}`,
    );
    const runBefore = (await h.client.workflow.getHandle('release-v1.2.3').describe()).runId;
    const rerun = await sh(`./scripts/deploy.sh staging ${sha.two}`);
    ok(rerun, 'deploy.sh after PROMOTED');
    assert.match(
      rerun.stdout,
      new RegExp(
        `^v1\\.2\\.3 was already promoted from ${sha.two.slice(0, 12)} at \\S+ \\(release-v1\\.2\\.3\\): PROMOTED — v1\\.2\\.3 serves 100% of production.*; nothing started \\(to promote it again on purpose: --again\\)\n$`,
      ),
    );
    assert.equal((await h.client.workflow.getHandle('release-v1.2.3').describe()).runId, runBefore, 'no new run');
    assert.deepEqual(snapshotFiles(evidenceDir), before, 'the evidence is byte-for-byte the same');
    // Another commit under the promoted version's name is refused.
    const other = await sh(`./scripts/deploy.sh staging ${sha.one}`, { RELEASE_VERSION: 'v1.2.3' });
    assert.equal(other.code, 2);
    assert.match(
      other.stderr,
      /^release-promote: v1\.2\.3 was already promoted from commit \S+ at \S+ \(release-v1\.2\.3\); a version is promoted once: tag a new version, or pass --again/,
    );
  });

  test("deploy.sh --again promotes v1.2.3 a second time, audited, and keeps both runs' evidence", async () => {
    const evidenceDir = join(h.config.records.evidenceDir, 'v1.2.3');
    const firstRun = (await h.client.workflow.getHandle('release-v1.2.3').describe()).runId;
    const firstFiles = snapshotFiles(join(evidenceDir, 'runs', firstRun));
    const started = await sh(`./scripts/deploy.sh staging ${sha.two} --again`);
    ok(started, 'deploy.sh --again');
    ok(await sh('./scripts/release/approve-canary.sh v1.2.3 --approver=@alice'), 'approve the second run');
    const r = await result('release-v1.2.3');
    assert.equal(r.outcome, 'PROMOTED', r.reason);
    const secondRun = (await h.client.workflow.getHandle('release-v1.2.3').describe()).runId;
    assert.notEqual(secondRun, firstRun);
    assert.deepEqual(
      snapshotFiles(join(evidenceDir, 'runs', firstRun)),
      firstFiles,
      "the first run's evidence is untouched",
    );
    const second = JSON.parse(readFileSync(join(evidenceDir, 'runs', secondRun, 'approval.json'), 'utf8')) as {
      runId: string;
      approvals: Array<{ approver: string }>;
      repeatOf: { runId: string };
    };
    assert.deepEqual(
      [second.runId, second.repeatOf.runId, second.approvals.map((a) => a.approver)],
      [secondRun, firstRun, ['@alice']],
    );
    assert.equal(
      readFileSync(join(evidenceDir, 'approval.json'), 'utf8'),
      readFileSync(join(evidenceDir, 'runs', secondRun, 'approval.json'), 'utf8'),
      "the seed's paths show the latest run",
    );
    const start = readFileSync(join(h.config.records.auditDir, 'v1.2.3.jsonl'), 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as AuditEntry)
      .filter((e) => e.action === 'start');
    assert.equal(start.length, 2);
    assert.match(
      start[1]!.reason,
      new RegExp(`promoted again on purpose \\(--again\\), after release-v1\\.2\\.3 run ${firstRun} ended PROMOTED`),
    );
    // collect-evidence regenerates any run's files from its records.
    const regenerated = await sh(
      `node ${join(ROOT, 'bin', 'release-promote.mjs')} collect-evidence v1.2.3 --run ${firstRun}`,
    );
    ok(regenerated, 'collect-evidence --run');
    assert.deepEqual(
      snapshotFiles(join(evidenceDir, 'runs', firstRun)),
      firstFiles,
      'regenerated byte-for-byte from the records',
    );
  });

  test('the hotfix process as written: branch, fix, tag, hotfix-promote.sh; two approvals; no staging', async () => {
    const stagingBefore = readFileSync(join(h.config.simulation.stateDir, 'staging.json'), 'utf8');
    const r = await sh(`git checkout -q -b hotfix/v1.2.4 v1.2.3
echo fix > fix.txt && git add fix.txt
git commit -q -m "fix: critical issue"
git tag v1.2.4
./scripts/release/hotfix-promote.sh v1.2.4 \\
  --skip-staging \\
  --approver1=@senior-eng \\
  --approver2=@team-lead`);
    ok(r, 'hotfix-promote.sh');
    assert.match(
      r.stdout,
      /^started hotfix-v1\.2\.4 \(run [0-9a-f-]+\) under the installation's policy \S+: hotfix: dev gates, then 2 approvals from @senior-eng and @team-lead\n/,
    );
    assert.match(
      r.stdout,
      /\napproval requested from @senior-eng and @team-lead: each confirms with "release-promote approve v1\.2\.4 --approver=@them"\n/,
    );
    const s = await status('hotfix-v1.2.4');
    assert.equal(s.kind, 'hotfix');
    assert.equal(s.commitSha, git('rev-parse', 'v1.2.4'), 'the commit the tag points at');
    assert.deepEqual(s.approval.asked, ['@senior-eng', '@team-lead']);

    const first = await sh('./scripts/release/approve-canary.sh v1.2.4 --approver=@senior-eng');
    ok(first, 'first approval');
    assert.equal(first.stdout, 'approval recorded: 1 of 2 approvals (@senior-eng); waiting for @team-lead\n');
    const twice = await sh('./scripts/release/approve-canary.sh v1.2.4 --approver=@senior-eng');
    assert.equal(twice.code, 2);
    assert.match(twice.stderr, /@senior-eng has already approved; the next approval must come from a different person/);
    ok(await sh('./scripts/release/approve-canary.sh v1.2.4 --approver=@team-lead'), 'second approval');
    const done = await result('hotfix-v1.2.4');
    assert.equal(done.outcome, 'PROMOTED', done.reason);
    assert.equal(
      (await status('hotfix-v1.2.4')).history.some((t) => t.to === 'STAGING_SOAK' || t.to === 'DEPLOYING_STAGING'),
      false,
    );
    assert.equal(
      readFileSync(join(h.config.simulation.stateDir, 'staging.json'), 'utf8'),
      stagingBefore,
      'staging untouched',
    );
    assert.equal(sot().current?.version, 'v1.2.4');
  });

  test('rollback.sh production rolls back to the previous version and prints the verification', async () => {
    // The requester (RELEASE_PROMOTE_USER) needs the role the installation names for rollbacks.
    const refused = await sh('./scripts/release/rollback.sh production');
    assert.equal(refused.code, 2);
    assert.equal(
      refused.stderr,
      `release-promote: refused: ${REQUESTER} holds none of RELEASE_APPROVER, RELEASE_OPERATOR, the roles allowed to roll back an environment\n`,
    );
    const r = await sh('./scripts/release/rollback.sh production', { RELEASE_PROMOTE_USER: '@alice' });
    ok(r, 'rollback.sh');
    const lines = outputLines(r.stdout);
    assert.match(lines[0]!, /^rolling back production from v1\.2\.4 to v1\.2\.3 \(rollback-production-/);
    assert.deepEqual(lines.slice(1, 4), [
      '✓ api-gateway: v1.2.3 (healthy)',
      '✓ orchestrator: v1.2.3 (healthy)',
      '✓ workers: v1.2.3 (healthy)',
    ]);
    assert.match(lines[4]!, /^production runs v1\.2\.3 again \(was v1\.2\.4\)/);
    assert.equal(sot().current?.version, 'v1.2.3');
    assert.equal(sot().current?.action, 'rollback');
    assert.equal(sot().current?.promotedBy, '@alice');
  });

  test("rollback.sh production --version=v1.2.2, then verify-rollback.sh prints the seed's expected output", async () => {
    const r = await sh('./scripts/release/rollback.sh production --version=v1.2.2', { RELEASE_PROMOTE_USER: '@alice' });
    ok(r, 'rollback.sh --version');
    assert.deepEqual(outputLines(r.stdout).slice(1, 4), [
      '✓ api-gateway: v1.2.2 (healthy)',
      '✓ orchestrator: v1.2.2 (healthy)',
      '✓ workers: v1.2.2 (healthy)',
    ]);

    const verified = await sh('./scripts/release/verify-rollback.sh');
    ok(verified, 'verify-rollback.sh');
    assert.equal(
      verified.stdout,
      '✓ api-gateway: v1.2.2 (healthy)\n✓ orchestrator: v1.2.2 (healthy)\n✓ workers: v1.2.2 (healthy)\n',
    );
    assert.equal(verified.stderr, '');
  });

  test('rollback.sh to a version that never ran there is refused with the list, and nothing changes', async () => {
    const before = sot();
    const r = await sh('./scripts/release/rollback.sh production --version=v9.9.9', { RELEASE_PROMOTE_USER: '@alice' });
    assert.equal(r.code, 2);
    assert.equal(r.stdout, '');
    assert.equal(
      r.stderr,
      'release-promote: refused: v9.9.9 never ran in production (or runs there now); versions you can roll back to: v1.2.3, v1.2.4\n',
    );
    assert.deepEqual(sot(), before);
    ok(await sh('./scripts/release/verify-rollback.sh'), 'production still verifies');
  });

  test('verify-rollback.sh exits non-zero and says which service is wrong', async () => {
    const statePath = join(h.config.simulation.stateDir, 'production.json');
    const original = readFileSync(statePath, 'utf8');
    const state = JSON.parse(original) as { services: Record<string, { stable: string }> };
    state.services.workers!.stable = 'v1.2.4'; // one service did not roll back
    writeFileSync(statePath, JSON.stringify(state));
    try {
      const r = await sh('./scripts/release/verify-rollback.sh');
      assert.equal(r.code, 1);
      assert.equal(
        r.stdout,
        '✓ api-gateway: v1.2.2 (healthy)\n✓ orchestrator: v1.2.2 (healthy)\n✗ workers: v1.2.4 (healthy, expected v1.2.2)\n',
      );
    } finally {
      writeFileSync(statePath, original);
    }
  });
});
