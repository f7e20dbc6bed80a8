// The manual rollback of an environment: its input, state and result.
import { defineQuery } from '@temporalio/workflow';

export interface ManualRollbackInput {
  environment: string;
  /** A version that once ran there; null means the one before the current version. */
  version: string | null;
  requestedBy: string;
  /** Where the request came from (cli, slack). */
  channel?: string;
  /** Only in rollbacks started by earlier code; now the installation's policy says where the Web UI is. */
  webUiUrl?: string;
  namespace?: string;
}

export type RollbackStage =
  'RESOLVING' | 'WAITING_FOR_ENVIRONMENT' | 'ROLLING_BACK' | 'VERIFYING' | 'ROLLED_BACK' | 'REFUSED' | 'FAILED';

export interface ManualRollbackStatus {
  environment: string;
  requestedBy: string;
  fromVersion: string | null;
  targetVersion: string | null;
  stage: RollbackStage;
  waitingFor: string | null;
  /** The seed's verification lines: "✓ api-gateway: v1.2.2 (healthy)". */
  verification: string[];
  reason: string | null;
}

export interface ManualRollbackResult {
  ok: boolean;
  environment: string;
  version: string | null;
  verification: string[];
  reason: string;
}

export const rollbackStatusQuery = defineQuery<ManualRollbackStatus>('rollbackStatus');
