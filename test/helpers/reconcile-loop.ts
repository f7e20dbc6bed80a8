// The polling loop of the fake controllers (fake-deployment-controller.ts, fake-gateway-controller.ts),
// which stand in for controllers the test kube-apiserver does not run: every `intervalMs` it lists the
// objects and reconciles each of them, one pass at a time. A failure is recorded, never thrown, so the
// loop keeps going as a real controller would, and a test can assert at its end that there was none.

export interface ReconcileLoop {
  /** Errors from polling or patching (the loop keeps going), oldest first. */
  readonly errors: readonly Error[];
  /** Runs one reconcile pass now (waits for a pass already in flight first). */
  reconcileOnce(): Promise<void>;
  /** Stops polling and waits for the pass in flight. Idempotent. */
  stop(): Promise<void>;
}

export interface ReconcileLoopOptions<T> {
  /** The objects of one pass. */
  list: () => Promise<T[]>;
  reconcile: (object: T) => Promise<void>;
  /**
   * True for a failure that is no error of the controller's: the object changed or went away between
   * the list and the write, which the next pass picks up as a real controller's next reconcile would.
   */
  expected: (err: unknown) => boolean;
  intervalMs: number;
}

/** Starts polling at once; the first pass runs before the caller's next await. */
export function startReconcileLoop<T>(options: ReconcileLoopOptions<T>): ReconcileLoop {
  const errors: Error[] = [];
  const pass = async (): Promise<void> => {
    try {
      const objects = await options.list();
      const results = await Promise.allSettled(objects.map((o) => options.reconcile(o)));
      for (const r of results)
        if (r.status === 'rejected' && !options.expected(r.reason)) errors.push(asError(r.reason));
    } catch (err) {
      errors.push(asError(err));
    }
  };

  let inFlight: Promise<void> = Promise.resolve();
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  const run = (): Promise<void> => (inFlight = inFlight.then(pass));
  const loop = (): void => {
    if (stopped) return;
    void run().then(() => {
      if (!stopped) timer = setTimeout(loop, options.intervalMs);
    });
  };
  loop();

  return {
    errors,
    reconcileOnce: run,
    stop: async () => {
      stopped = true;
      if (timer) clearTimeout(timer);
      await inFlight;
    },
  };
}

/** A 404 from @kubernetes/client-node (an ApiException's code, or the Status in its body). */
export function isNotFound(e: unknown): boolean {
  const { code, body, message } = e as { code?: number; body?: unknown; message?: string };
  return code === 404 || /"code":404/.test(typeof body === 'string' ? body : JSON.stringify(body ?? message ?? ''));
}

function asError(e: unknown): Error {
  return e instanceof Error ? e : new Error(String(e));
}
