// Temporal test environments on the real, pinned servers (see scripts/servers/ensure-servers.sh):
//
// - createTimeSkippingEnv(): the Java time-skipping test server. Timers are skipped (env.sleep,
//   and while awaiting a TimeSkippingWorkflowClient result), but there is no visibility
//   (no workflow.list), no schedules and no worker deployments. Run such tests serially: time
//   skipping is global to the server.
// - createDevEnv(): the Temporal CLI dev server (the real server, SQLite in memory): visibility,
//   updates, everything; no time skipping.
//
// Both register the release search attributes. Always call env.teardown() (in after()).
import { isGrpcServiceError } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import type { LocalTestWorkflowEnvironmentOptions } from '@temporalio/testing';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import type { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';
import { testServerPath, temporalCliPath } from '../../src/servers/locate';
import { releaseSearchAttributes } from '../../src/shared/search-attributes';

const { IndexedValueType } = temporal.api.enums.v1;
const GRPC_ALREADY_EXISTS = 6;

/** A search attribute key of any type (the SDK does not export the SearchAttributeKey type). */
type AnySearchAttributeKey = ReturnType<typeof defineSearchAttributeKey>;

const INDEXED_VALUE_TYPES: Record<SearchAttributeType, temporal.api.enums.v1.IndexedValueType> = {
  TEXT: IndexedValueType.INDEXED_VALUE_TYPE_TEXT,
  KEYWORD: IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD,
  INT: IndexedValueType.INDEXED_VALUE_TYPE_INT,
  DOUBLE: IndexedValueType.INDEXED_VALUE_TYPE_DOUBLE,
  BOOL: IndexedValueType.INDEXED_VALUE_TYPE_BOOL,
  DATETIME: IndexedValueType.INDEXED_VALUE_TYPE_DATETIME,
  KEYWORD_LIST: IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD_LIST,
};

let runtimeInstalled = false;

/** Installs the SDK Runtime with a WARN logger, once per process (before any Worker/env exists). */
export function installTestRuntime(): void {
  if (runtimeInstalled) return;
  runtimeInstalled = true;
  try {
    Runtime.install({ logger: new DefaultLogger('WARN') });
  } catch {
    // Already installed or instantiated elsewhere in this process: keep that one.
  }
}

/** The SDK gives a server ~5 s to answer (not configurable): on a loaded machine, try once more. */
async function withOneRetry<T>(start: () => Promise<T>): Promise<T> {
  try {
    return await start();
  } catch (err) {
    if (!(err instanceof Error) || !/did not start within/.test(err.message)) throw err;
    return await start();
  }
}

/**
 * Registers search attributes through the operator service, one by one, leaving existing ones alone
 * (ALREADY_EXISTS). The time-skipping server has no ListSearchAttributes, so there is no pre-check.
 */
export async function registerSearchAttributes(
  env: TestWorkflowEnvironment,
  keys: readonly AnySearchAttributeKey[] = releaseSearchAttributes,
  namespace = env.namespace ?? 'default',
): Promise<void> {
  for (const key of keys) {
    try {
      await env.connection.operatorService.addSearchAttributes({
        namespace,
        searchAttributes: { [key.name]: INDEXED_VALUE_TYPES[key.type] },
      });
    } catch (err) {
      if (!(isGrpcServiceError(err) && Number(err.code) === GRPC_ALREADY_EXISTS)) throw err;
    }
  }
}

/** The Java time-skipping test server, with the release search attributes registered. */
export async function createTimeSkippingEnv(): Promise<TestWorkflowEnvironment> {
  installTestRuntime();
  const path = await testServerPath();
  const env = await withOneRetry(() =>
    TestWorkflowEnvironment.createTimeSkipping({ server: { executable: { type: 'existing-path', path } } }),
  );
  try {
    await registerSearchAttributes(env);
  } catch (err) {
    await env.teardown();
    throw err;
  }
  return env;
}

/** The Temporal CLI dev server (in-memory SQLite, no UI), with the release search attributes. */
export async function createDevEnv(
  server: Omit<NonNullable<LocalTestWorkflowEnvironmentOptions['server']>, 'executable'> = {},
): Promise<TestWorkflowEnvironment> {
  installTestRuntime();
  const path = await temporalCliPath();
  return await withOneRetry(() =>
    TestWorkflowEnvironment.createLocal({
      server: {
        ui: false,
        ...server,
        executable: { type: 'existing-path', path },
        searchAttributes: [...releaseSearchAttributes, ...(server.searchAttributes ?? [])],
      },
    }),
  );
}
