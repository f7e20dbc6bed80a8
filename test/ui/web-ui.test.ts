// What an operator sees in the Temporal Web UI: a release sitting in its 2-hour staging soak, found
// through the ReleaseVersion search attribute, shows its static summary, its current stage (the
// workflow's current details), the pending soak timer (by its summary) and that it is running.
//
// Real servers and a real browser: the pinned Temporal dev server with its Web UI, a worker in
// this process, and Debian's chromium driven by playwright-core (install it with
// scripts/ui/ensure-chromium.sh). A screenshot is saved to test-results/web-ui-release.png.
//
// Run: node --import tsx --test test/ui/web-ui.test.ts
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { chromium, type Browser, type Page } from 'playwright-core';
import { Client, Connection, type WorkflowHandle } from '@temporalio/client';
import { NativeConnection, type Worker } from '@temporalio/worker';
import { startDevServer, type DevServer } from '../../src/servers/dev-server';
import { parseConfig } from '../../src/config/load';
import { createWorker } from '../../src/worker/create-worker';
import { startRelease } from '../../src/client/start-release';
import { statusQuery } from '../../src/shared/messages';
import { ConsoleNotifier } from '../../src/activities/notify/console';
import { installTestRuntime } from '../helpers/temporal-env';
import { eventually } from '../helpers/eventually';

const ROOT = join(__dirname, '..', '..');
const SCREENSHOT = join(ROOT, 'test-results', 'web-ui-release.png');
const LIST_SCREENSHOT = join(ROOT, 'test-results', 'web-ui-release-list.png');
const FAILURE_SCREENSHOT = join(ROOT, 'test-results', 'web-ui-failure.png');
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const VERSION = 'v7.3.2';
const COMMIT = 'c0ffee1234567890';
/** The status badge (on the details page it also holds a heartbeat animation). */
const RUNNING = /^\s*Running\b/;
const SUMMARY = `Release ${VERSION} (c0ffee1) by @release-bot`;

void describe('Temporal Web UI shows a release in its staging soak', () => {
  let server: DevServer;
  let connection: Connection;
  let nativeConnection: NativeConnection;
  let worker: Worker;
  let running: Promise<void>;
  let browser: Browser | undefined;
  let handle: WorkflowHandle;
  let dir: string;

  before(async () => {
    assert.ok(existsSync(CHROMIUM), `${CHROMIUM} is missing: run scripts/ui/ensure-chromium.sh (or set CHROMIUM_PATH)`);
    installTestRuntime();
    dir = mkdtempSync(join(tmpdir(), 'release-promote-ui-'));
    server = await startDevServer({ port: 0 });
    assert.ok(server.uiUrl, 'the dev server runs its Web UI');
    const config = parseConfig(
      {
        temporal: { taskQueue: 'release-promote-ui', webUiUrl: server.uiUrl },
        roles: { RELEASE_APPROVER: ['@alice'] },
        // stages.staging.soak is left at its real default: 2h.
        simulation: { scenario: 'healthy', stateDir: join(dir, 'simulated') },
        records: { auditDir: join(dir, 'audit'), evidenceDir: join(dir, 'evidence'), sotDir: join(dir, 'sot') },
      },
      'web UI test',
    );
    assert.equal(config.stages.staging.soak, 2 * 3_600_000);
    connection = await Connection.connect({ address: server.address });
    const client = new Client({ connection });
    nativeConnection = await NativeConnection.connect({ address: server.address });
    worker = await createWorker({
      config,
      connection: nativeConnection,
      client,
      namespace: 'default',
      shutdownGraceTime: '2s',
      notifier: new ConsoleNotifier(() => undefined),
    });
    running = worker.run();
    ({ handle } = await startRelease(client, config, {
      version: VERSION,
      commitSha: COMMIT,
      requestedBy: '@release-bot',
      ciRunId: 'ui-1',
    }));
    // In the soak once the soak timer is in the history (the stage is set just before it starts).
    await eventually(
      'the release to reach the staging soak',
      async () => {
        const status = await handle!.query(statusQuery);
        const { events } = await handle!.fetchHistory();
        return status.stage === 'STAGING_SOAK' && (events ?? []).some((e) => e.timerStartedEventAttributes);
      },
      { intervalMs: 250 },
    );
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    });
  });

  after(async () => {
    await browser?.close();
    await handle?.terminate('test over').catch(() => undefined);
    worker?.shutdown();
    await running?.catch(() => undefined);
    await nativeConnection?.close();
    await connection?.close();
    await server?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  async function visibleText(page: Page, text: string | RegExp, timeout = 15_000): Promise<void> {
    await page.getByText(text).filter({ visible: true }).first().waitFor({ state: 'visible', timeout });
  }

  /** Text the UI renders from markdown (summary, details, current details): inside sandboxed iframes. */
  async function visibleMarkdown(page: Page, text: string | RegExp, timeout = 15_000): Promise<void> {
    await eventually(
      `"${String(text)}" to be visible on the page or in one of its frames`,
      async () => {
        for (const frame of page.frames())
          if (
            await frame
              .getByText(text)
              .first()
              .isVisible()
              .catch(() => false)
          )
            return true;
        return false;
      },
      { timeoutMs: timeout, intervalMs: 200 },
    );
  }

  void it('lists the release under its ReleaseVersion and shows summary, stage, soak timer and status', async () => {
    const page = await browser!.newPage({ viewport: { width: 1440, height: 1800 } });
    try {
      await checkReleasePages(page);
    } catch (err) {
      // What the page showed, for the failure report.
      mkdirSync(join(ROOT, 'test-results'), { recursive: true });
      await page.screenshot({ path: FAILURE_SCREENSHOT, fullPage: true }).catch(() => undefined);
      const text = await page
        .locator('body')
        .innerText()
        .catch(() => '(no text)');
      throw new Error(
        `${(err as Error).message}\nURL: ${page.url()}\nscreenshot: ${FAILURE_SCREENSHOT}\npage text:\n${text.slice(0, 4000)}`,
      );
    } finally {
      await page.close();
    }
    assert.ok(existsSync(SCREENSHOT));
  });

  async function checkReleasePages(page: Page): Promise<void> {
    const query = `ReleaseVersion="${VERSION}"`;
    await page.goto(`${server.uiUrl}/namespaces/default/workflows?query=${encodeURIComponent(query)}`, {
      waitUntil: 'domcontentloaded',
    });

    // The list, filtered by the search attribute: exactly this release, running.
    const link = page.getByRole('link', { name: handle.workflowId });
    await link.first().waitFor({ state: 'visible', timeout: 20_000 });
    await visibleText(page, RUNNING);
    await visibleText(page, /^\s*1 Workflow\b/);
    // The staging ledger workflow runs too, but has no ReleaseVersion: the filter leaves it out.
    assert.equal(await page.getByRole('link', { name: 'environment-staging' }).count(), 0);
    mkdirSync(join(ROOT, 'test-results'), { recursive: true });
    await page.screenshot({ path: LIST_SCREENSHOT });
    await link.first().click();

    // The release's page.
    await page.waitForURL(/\/workflows\/release-v7\.3\.2\//, { timeout: 15_000 });
    await page.getByText('User Metadata', { exact: true }).first().click();
    await visibleMarkdown(page, SUMMARY);
    await visibleText(page, RUNNING);
    // Current details: the stage and what the release waits for.
    await visibleMarkdown(page, 'STAGING_SOAK');
    await visibleMarkdown(page, /Waiting for: staging soak: healthy for 2h continuously/);
    // The pending soak timer, by its summary: started, not fired.
    // "Events with Metadata" lists it as: Timer | <summary> | Started (a fired timer says Fired).
    const timer = page
      .locator('div')
      .filter({ has: page.getByText('Timer', { exact: true }) })
      .filter({ has: page.getByText('staging soak: 2h of continuous health', { exact: true }) })
      .last()
      .locator('xpath=..');
    await timer.waitFor({ state: 'visible', timeout: 15_000 });
    assert.match(await timer.innerText(), /^Timer\s+staging soak: 2h of continuous health\s+Started$/);

    mkdirSync(join(ROOT, 'test-results'), { recursive: true });
    await page.screenshot({ path: SCREENSHOT, fullPage: true });
  }
});
