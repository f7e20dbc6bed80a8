// `release-promote slack-gateway` as people run it (the real bin, a child process): its help, the one
// clear line when the signing secret is missing, and a start → /healthz → SIGTERM → clean exit
// against a real dev server, all from the config's slack section.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { createDevEnv } from '../helpers/temporal-env';
import { eventually } from '../helpers/eventually';

const BIN = join(__dirname, '..', '..', 'bin', 'release-promote.mjs');
const SECRET_VAR = 'RP_TEST_SLACK_SIGNING_SECRET';

/** The environment without anything that would choose a config or a secret for the child. */
function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env = { ...process.env };
  for (const name of ['RELEASE_PROMOTE_CONFIG', 'SLACK_SIGNING_SECRET', SECRET_VAR]) delete env[name];
  return { ...env, ...extra };
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

void describe('release-promote slack-gateway', { timeout: 90_000 }, () => {
  let dir: string;

  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'release-promote-gateway-cmd-'));
  });
  after(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  void it('--help exits 0 and explains where the settings come from', () => {
    const run = spawnSync(process.execPath, [BIN, 'slack-gateway', '--help'], {
      cwd: dir,
      env: cleanEnv(),
      encoding: 'utf8',
      timeout: 30_000,
    });
    assert.equal(run.status, 0, run.stderr);
    // Unregistered, commander prints the program's help instead (and still exits 0).
    assert.match(
      run.stdout,
      /Usage: release-promote slack-gateway/,
      'slack-gateway is not registered: add registerSlackCommands(program, ctx) in src/client/cli.ts',
    );
    assert.match(run.stdout, /signingSecretEnv/);
    assert.match(run.stdout, /\/slack\/interactions/);
  });

  void it('without the signing secret: exits non-zero with one clear line naming the variable', () => {
    // Default config (no file in cwd): the variable is SLACK_SIGNING_SECRET.
    const byDefault = spawnSync(process.execPath, [BIN, 'slack-gateway'], {
      cwd: dir,
      env: cleanEnv(),
      encoding: 'utf8',
      timeout: 30_000,
    });
    assert.notEqual(byDefault.status, 0);
    assert.equal(byDefault.stdout, '');
    const lines = byDefault.stderr.trimEnd().split('\n');
    assert.equal(lines.length, 1, byDefault.stderr);
    assert.match(
      lines[0] ?? '',
      /^release-promote: .*\$SLACK_SIGNING_SECRET \(slack\.signingSecretEnv\), which is not set/,
    );

    // A config naming another variable, set but blank: that variable is named.
    const config = join(dir, 'named-secret.yaml');
    writeFileSync(config, `slack:\n  signingSecretEnv: ${SECRET_VAR}\n`);
    const named = spawnSync(process.execPath, [BIN, '--config', config, 'slack-gateway'], {
      cwd: dir,
      env: cleanEnv({ [SECRET_VAR]: '  ' }),
      encoding: 'utf8',
      timeout: 30_000,
    });
    assert.notEqual(named.status, 0);
    assert.equal(named.stderr.trimEnd().split('\n').length, 1, named.stderr);
    assert.match(named.stderr, new RegExp(`\\$${SECRET_VAR} \\(slack\\.signingSecretEnv\\)`));
  });

  void describe('with a Temporal server', () => {
    let env: TestWorkflowEnvironment;
    before(async () => {
      env = await createDevEnv();
    });
    after(async () => {
      await env?.teardown();
    });

    void it('listens on slack.port, answers /healthz, and stops cleanly on SIGTERM', async () => {
      const port = await freePort();
      const config = join(dir, 'gateway.yaml');
      writeFileSync(
        config,
        `slack:\n  port: ${port}\n  host: 127.0.0.1\n  signingSecretEnv: ${SECRET_VAR}\n  users:\n    U0ALICE: "@alice"\n`,
      );
      const child = spawn(process.execPath, [BIN, '--config', config, 'slack-gateway'], {
        cwd: dir,
        env: cleanEnv({
          [SECRET_VAR]: 'a-signing-secret-for-the-test',
          TEMPORAL_ADDRESS: env.address,
          TEMPORAL_NAMESPACE: 'default',
        }),
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
      child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
      const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
        child.once('exit', (code, signal) => resolve({ code, signal })),
      );
      try {
        await eventually(
          'the gateway to listen',
          () => {
            if (child.exitCode !== null) assert.fail(`the gateway exited (${child.exitCode}): ${stderr}`);
            return /listening on/.test(stdout);
          },
          { describe: () => `${stdout}${stderr}` },
        );
        assert.match(stdout, new RegExp(`Slack gateway listening on http://127\\.0\\.0\\.1:${port} `));
        assert.match(stdout, /1 Slack user mapped/);
        assert.doesNotMatch(stdout + stderr, /a-signing-secret-for-the-test/, 'the secret is never printed');
        const res = await fetch(`http://127.0.0.1:${port}/healthz`);
        assert.equal(res.status, 200);
        assert.equal(await res.text(), 'ok');

        child.kill('SIGTERM');
        const { code, signal } = await exited;
        assert.equal(signal, null, `killed by ${signal}: ${stderr}`);
        assert.equal(code, 0, stderr);
        assert.match(stdout, /SIGTERM: stopping the Slack gateway/);
        assert.match(stdout, /Slack gateway stopped/);
        await assert.rejects(fetch(`http://127.0.0.1:${port}/healthz`), 'nothing listens after the stop');
      } finally {
        if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      }
    });
  });
});
