// The saga: each forward step that changes an environment registers how to undo it. On a failure,
// breach or cancellation the undo steps run newest first, in a scope cancellation cannot interrupt.
// A step that still fails after its retries is reported loudly and the release ends ROLLBACK_FAILED.
import { CancellationScope } from '@temporalio/workflow';
import type { ReleaseContext } from './context';

export interface Compensation {
  step: string;
  run: () => Promise<string>;
}

export class Saga {
  private readonly steps: Compensation[] = [];

  get empty(): boolean {
    return this.steps.length === 0;
  }

  add(step: string, run: () => Promise<string>): void {
    this.steps.unshift({ step, run });
  }

  /** Runs every compensation; returns the failures (empty when everything was undone). */
  async compensate(ctx: ReleaseContext, reason: string): Promise<string[]> {
    return CancellationScope.nonCancellable(async () => {
      ctx.status.rollback = { reason, startedAt: new Date().toISOString(), steps: [] };
      const failures: string[] = [];
      for (const { step, run } of this.steps) {
        try {
          const detail = await run();
          ctx.status.rollback.steps.push({ step, ok: true, detail, at: new Date().toISOString() });
        } catch (err) {
          const detail = rootMessage(err);
          failures.push(`${step}: ${detail}`);
          ctx.status.rollback.steps.push({ step, ok: false, detail, at: new Date().toISOString() });
        }
      }
      this.steps.length = 0;
      return failures;
    });
  }
}

export function rootMessage(err: unknown): string {
  let e = err as { message?: string; cause?: unknown } | undefined;
  while (e?.cause) e = e.cause;
  return e?.message ?? String(err);
}
