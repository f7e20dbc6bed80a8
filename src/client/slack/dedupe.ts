// Remembers which Slack deliveries the gateway has already taken on, for a while. Slack re-sends a
// request it thinks went unanswered (X-Slack-Retry-Num) with the same payload, so the same click
// (user + action_ts) or command (user + trigger_id) seen again within the TTL is dropped.
//
// In memory on purpose: it only has to outlive Slack's retry window, and it is not the last line of
// defence. A delivery that arrives after a restart still carries the same Update ID (Temporal
// returns the first outcome), and the workflow's validator refuses a second approval by anyone.
export class SeenDeliveries {
  private readonly expiry = new Map<string, number>();

  constructor(
    private readonly ttlMs: number,
    private readonly now: () => number,
    /** Bounds memory under a flood; the oldest entries are forgotten first. */
    private readonly maxEntries = 10_000,
  ) {}

  /** True the first time `key` is seen within the TTL (and remembers it); false for a repeat. */
  firstTime(key: string): boolean {
    const now = this.now();
    this.forgetExpired(now);
    const until = this.expiry.get(key);
    if (until !== undefined && until > now) return false;
    this.expiry.delete(key);
    this.expiry.set(key, now + this.ttlMs);
    while (this.expiry.size > this.maxEntries) {
      const oldest = this.expiry.keys().next();
      if (oldest.done) break;
      this.expiry.delete(oldest.value);
    }
    return true;
  }

  get size(): number {
    return this.expiry.size;
  }

  // Entries are kept in insertion order with one TTL, so the expired ones are at the front.
  private forgetExpired(now: number): void {
    for (const [key, until] of this.expiry) {
      if (until > now) break;
      this.expiry.delete(key);
    }
  }
}
