// The state of one release run and the helpers every stage uses to change it visibly: a stage
// transition updates the status query, the ReleaseStage search attribute, the Web UI's current
// details, the audit trail, the evidence files and the release's notification thread together.
import {
  CancellationScope,
  condition,
  log,
  patched,
  setCurrentDetails,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import { ReleaseStageAttribute } from '../../shared/search-attributes';
import { auditActionFor, auditEntry, seedStageAfter, type AuditAction, type SeedStage } from '../../shared/audit';
import { notification, workflowLink, type NotificationAction, type NotificationKind } from '../../shared/notifications';
import { sendNotification } from '../notify';
import { surviveCancel } from '../records-survive-cancel';
import {
  TERMINAL_STAGES,
  type ReleaseInput,
  type ReleaseOutcome,
  type ReleaseStage,
  type ReleaseStatus,
} from '../../shared/release';
import type { ReleasePolicy } from '../../shared/policy';
import { approvalProgress } from '../../shared/approval-rules';
import type { CancelRequest, PauseDecisionRequest } from '../../shared/messages';
import { activities, localFirst } from '../activity-proxies';
import type { AuditEntry } from '../../shared/audit';
import type { LeaseAnswer } from '../../shared/ledger';
import { Saga } from './compensation';
import {
  CARRIED_EVALUATIONS,
  CONTINUE_AS_NEW_AT_EVENTS,
  type CanaryPosition,
  type CarriedRelease,
} from '../../shared/carried-release';
import { rejected } from './ended';

/** Decisions the main flow picks up: a pending pause decision, a cancellation and the environments granted to it. */
export interface Inbox {
  pauseDecision: PauseDecisionRequest | null;
  cancel: CancelRequest | null;
  granted: Set<string>;
  /** The ledgers' answers to this release's lease requests (granted, or queued with a position). */
  leaseAnswers: Map<string, LeaseAnswer>;
}

/**
 * Patch marker of the leaner release (issue 15): audit entries and evidence written in batches by a
 * local activity from the state the workflow passes in, notifications in the background, leases
 * asked for and handed on by signal. A run decides once, when it starts, and keeps its way to its
 * end; a run with this marker is newer than every earlier patch, so it asks for none of them
 * (`since`), which keeps their markers out of its history too.
 */
export const LEAN_RELEASE_PATCH = 'lean-release';

export interface AuditExtra {
  approvedBy?: string | null;
  channel?: string | null;
  /** The seed stages the action moves between; both default to where the release is. */
  fromStage?: SeedStage;
  toStage?: SeedStage;
  fromVersion?: string | null;
  toVersion?: string | null;
}

const MAX_KEPT_EVALUATIONS = 1000;

export class ReleaseContext {
  readonly status: ReleaseStatus;
  readonly inbox: Inbox = { pauseDecision: null, cancel: null, granted: new Set(), leaseAnswers: new Map() };
  /** Whether this run takes the leaner way (LEAN_RELEASE_PATCH). */
  readonly lean: boolean;
  /** How to undo what has been changed so far, newest first. */
  readonly saga = new Saga();
  /** The release's work runs in its own scope, so an authorized cancel update can cancel it. */
  readonly main = new CancellationScope();
  /** Environments this release holds or is queued for. */
  private readonly held = new Set<string>();
  /**
   * Whether this run's canary traffic goes through the router (decided once, at the canary, so a
   * release that began its canary on earlier code keeps that code's way to its end).
   */
  routed = false;
  private auditSeq = 0;
  /** Audit entries are written one after another, so the file holds them in seq order. */
  private auditQueue: Promise<unknown> = Promise.resolve();
  /** Lean runs: entries not yet written, the batch being written, and the batch that takes new entries. */
  private pendingAudit: AuditEntry[] = [];
  private recordsWritten: Promise<unknown> = Promise.resolve();
  private nextBatch: Promise<void> | null = null;
  private evidenceWanted = false;
  /** Lean runs: the notifications still going out in the background, and whether the thread was opened. */
  private notificationsSent: Promise<void> = Promise.resolve();
  private threadOpened = false;
  private threadTs: string | null = null;
  /** Where the release is in the seed's pipeline: dev, staging, canary or production. */
  private seedStage: SeedStage = 'dev';

  constructor(
    readonly input: ReleaseInput,
    readonly policy: ReleasePolicy,
    policyDigest: string | null,
    carried: CarriedRelease | null = null,
  ) {
    const info = workflowInfo();
    this.lean = patched(LEAN_RELEASE_PATCH);
    if (carried) {
      this.status = { ...carried.status, runId: info.runId };
      this.auditSeq = carried.auditSeq;
      this.seedStage = carried.seedStage;
      this.threadTs = carried.threadTs;
      this.threadOpened = true;
      this.routed = carried.routed;
      for (const environment of carried.held) this.held.add(environment);
      for (const environment of carried.granted) this.inbox.granted.add(environment);
      this.inbox.pauseDecision = carried.pauseDecision;
      this.inbox.cancel = carried.cancel;
      return;
    }
    this.status = {
      workflowId: info.workflowId,
      runId: info.runId,
      version: input.version,
      kind: input.kind,
      commitSha: input.commitSha,
      requestedBy: input.requestedBy,
      ciRunId: input.ciRunId,
      stage: input.kind === 'hotfix' ? 'AWAITING_APPROVAL' : 'DEV_GATES',
      outcome: null,
      outcomeReason: null,
      startedAt: new Date().toISOString(),
      gates: [],
      soak: { startedAt: null, endsAt: null, restarts: 0, checks: 0, lastCheck: null, completedAt: null },
      approval: {
        requestedAt: null,
        requestedBy: null,
        required: input.kind === 'hotfix' ? policy.hotfix.requiredApprovals : 1,
        asked: input.hotfixApprovers ?? [],
        approvals: [],
        rejection: null,
        notBefore: null,
        deadlineAt: null,
      },
      canary: {
        startedAt: null,
        requiredMs: policy.canary.minDurationMs,
        elapsedMs: 0,
        endsAt: null,
        paused: null,
        evaluations: [],
        consecutiveBreaches: 0,
        consecutiveSlowdowns: 0,
        consecutiveInconclusive: 0,
      },
      rollback: null,
      previousProductionVersion: null,
      history: [],
      waitingFor: null,
      policy,
      policyDigest,
      repeatOf: input.repeatOf ?? null,
    };
  }

  /** Holds an environment (staging, production) for this release, waiting in its visible queue if busy. */
  async acquire(environment: string, purpose: string): Promise<void> {
    const s = this.status;
    if (this.lean) return this.acquireBySignal(environment, purpose);
    const answer = await activities('record', `acquire ${environment}`).acquireEnvironment({
      environment,
      workflowId: s.workflowId,
      purpose,
      preempt: false,
    });
    this.held.add(environment);
    if (answer.granted) return;
    this.setWaitingFor(
      `${environment} is busy with ${answer.holder?.workflowId ?? 'another change'} (${answer.holder?.purpose ?? ''}); queued at position ${answer.position}`,
    );
    await this.transition('WAITING_FOR_ENVIRONMENT', s.waitingFor!);
    // A rejection is accepted while queued, so it must end the wait (the finally leaves the queue).
    await condition(() => this.inbox.granted.has(environment) || s.approval.rejection !== null);
    if (!this.inbox.granted.has(environment)) throw rejected(s);
    this.setWaitingFor(null);
  }

  private async acquireBySignal(environment: string, purpose: string): Promise<void> {
    const s = this.status;
    const { inbox } = this;
    this.held.add(environment);
    // Not cancellable: a request still on its way after the release has left the queue would hold
    // the environment for a release that no longer wants it.
    await CancellationScope.nonCancellable(() =>
      localFirst('record', `ask for ${environment}`, (a) =>
        a.requestEnvironment({ environment, workflowId: s.workflowId, purpose, preempt: false }),
      ),
    );
    const granted = () => inbox.granted.has(environment);
    await condition(() => granted() || inbox.leaseAnswers.has(environment) || s.approval.rejection !== null);
    if (!granted() && s.approval.rejection === null) {
      const answer = inbox.leaseAnswers.get(environment)!;
      this.setWaitingFor(
        `${environment} is busy with ${answer.holder?.workflowId ?? 'another change'} (${answer.holder?.purpose ?? ''}); queued at position ${answer.position}`,
      );
      await this.transition('WAITING_FOR_ENVIRONMENT', s.waitingFor!);
      await condition(() => granted() || s.approval.rejection !== null);
    }
    // A rejection is accepted while queued, so it must end the wait (the finally leaves the queue).
    if (!granted()) throw rejected(s);
    this.setWaitingFor(null);
  }

  /** Lets the next release have the environment (or leaves its queue). */
  async release(environment: string): Promise<void> {
    const s = this.status;
    if (!this.held.delete(environment)) return;
    // A canary the rollback could not remove stays: no other release may deploy over it until a
    // rollback (or a person, with update-sot) has made the environment known again.
    const blockedBecause =
      s.outcome === 'ROLLBACK_FAILED' && environment === this.policy.productionEnvironment
        ? `${s.version} ended ROLLBACK_FAILED: ${s.outcomeReason ?? ''}`
        : undefined;
    if (this.lean) {
      await CancellationScope.nonCancellable(() =>
        localFirst('record', `hand ${environment} on`, (a) =>
          a.leaveEnvironment({ environment, workflowId: s.workflowId, blockedBecause }),
        ),
      );
      return;
    }
    await CancellationScope.nonCancellable(() =>
      activities('record', `release ${environment}`).releaseEnvironment({
        environment,
        workflowId: s.workflowId,
        blockedBecause,
      }),
    );
  }

  async releaseAll(): Promise<void> {
    for (const environment of [...this.held]) await this.release(environment);
  }

  /** Records in the environment's version records that this release now runs there. */
  async recordPromotion(environment: string, summary: string): Promise<void> {
    const s = this.status;
    const input = {
      environment,
      record: {
        version: s.version,
        promotedBy: s.requestedBy,
        promotedAt: new Date().toISOString(),
        action: 'promote' as const,
        workflowId: s.workflowId,
      },
    };
    if (this.lean) await localFirst('record', summary, (a) => a.recordVersion(input));
    else await activities('record', summary).recordVersion(input);
  }

  /** Asks the approvers (once the request time is set, later requests only remind). */
  async requestApproval(by: string, why: string): Promise<void> {
    const s = this.status;
    const first = s.approval.requestedAt === null;
    s.approval.requestedAt ??= new Date().toISOString();
    s.approval.requestedBy ??= by;
    if (first && this.policy.approval.deadlineMs !== null)
      s.approval.deadlineAt = new Date(Date.now() + this.policy.approval.deadlineMs).toISOString();
    await this.audit('approval_request', why);
    await this.notify(
      'approval-requested',
      `${s.version} needs approval for ${s.kind === 'hotfix' ? 'the hotfix fast track' : 'canary promotion'}`,
      why,
      ['approve', 'reject'],
    );
  }

  /** Whether this run has the change `patchId` marks (a lean run has every earlier one, without asking). */
  since(patchId: string): boolean {
    return this.lean || patched(patchId);
  }

  /** Waits for the records and notifications still going out in the background (before the run ends). */
  async settled(): Promise<void> {
    await this.recordsWritten;
    await this.notificationsSent;
  }

  get stage(): ReleaseStage {
    return this.status.stage;
  }

  get url(): string {
    const { webUiUrl, namespace } = this.policy;
    return workflowLink(webUiUrl, namespace, this.status.workflowId);
  }

  /** Moves the release to a new stage, everywhere it is shown. */
  async transition(
    to: ReleaseStage,
    reason: string,
    options: { notify?: boolean; action?: AuditAction } & AuditExtra = {},
  ): Promise<void> {
    const from = this.status.stage;
    const fromSeed = this.seedStage;
    this.seedStage = seedStageAfter(fromSeed, to);
    this.status.stage = to;
    this.status.history.push({ from, to, at: new Date().toISOString(), reason });
    upsertSearchAttributes([{ key: ReleaseStageAttribute, value: to }]);
    this.details(reason);
    // One INFO line per stage change in the worker's log (the SDK adds workflowId; not repeated on replay).
    log.info(`${from} → ${to}: ${reason}`, { version: this.status.version, stage: to });
    const terminal = (TERMINAL_STAGES as readonly ReleaseStage[]).includes(to);
    const action = options.action ?? auditActionFor(fromSeed, this.seedStage, to, terminal);
    if (this.lean) {
      this.pendingAudit.push(
        this.auditEntry(action, reason, { ...options, fromStage: fromSeed, toStage: this.seedStage }),
      );
      const records = this.writeRecords(true);
      // The batch with this entry also keeps the evidence; the message goes out beside it.
      const message =
        options.notify !== false
          ? this.notifyInBackground('stage-changed', `${this.status.version}: ${from} → ${to}`, reason)
          : null;
      await Promise.all([records, message]);
      return;
    }
    await this.audit(action, reason, { ...options, fromStage: fromSeed, toStage: this.seedStage });
    if (options.notify !== false) await this.notify('stage-changed', `${this.status.version}: ${from} → ${to}`, reason);
    await this.writeEvidence();
  }

  /** What the Web UI shows under "current details". */
  details(line: string): void {
    const s = this.status;
    setCurrentDetails(
      [
        `**${s.version}** (${s.kind}) — **${s.stage}**`,
        line,
        s.waitingFor ? `Waiting for: ${s.waitingFor}` : null,
        `Approvals: ${approvalProgress(s.approval)}`,
      ]
        .filter(Boolean)
        .join('\n\n'),
    );
  }

  setWaitingFor(what: string | null): void {
    this.status.waitingFor = what;
    if (what) this.details(what);
  }

  async audit(action: AuditAction, reason: string, extra: AuditExtra = {}): Promise<void> {
    if (this.lean) {
      this.pendingAudit.push(this.auditEntry(action, reason, extra));
      return this.writeRecords(false);
    }
    const seq = ++this.auditSeq;
    // Built when written (its time and stage then), as releases recorded before did.
    const append = () =>
      surviveCancel(() =>
        activities('record', `audit: ${action}`).appendAudit(this.entryAt(seq, action, reason, extra)),
      );
    // Patched: releases recorded before wrote an approval's entry beside the main flow's.
    if (!patched('audit-in-seq-order')) {
      await append();
      return;
    }
    const written = this.auditQueue.then(append);
    this.auditQueue = written.catch(() => undefined);
    await written;
  }

  /**
   * Audits several steps at once (a lean run writes them as one batch; earlier runs one by one).
   * The entries keep their order.
   */
  async auditEach(entries: Array<{ action: AuditAction; reason: string; extra?: AuditExtra }>): Promise<void> {
    if (!this.lean) {
      for (const e of entries) await this.audit(e.action, e.reason, e.extra);
      return;
    }
    this.pendingAudit.push(...entries.map((e) => this.auditEntry(e.action, e.reason, e.extra ?? {})));
    await this.writeRecords(false);
  }

  /** A lean run keeps the entry for the next batch (nothing has changed yet); earlier runs write it now. */
  async auditWithNext(action: AuditAction, reason: string, extra: AuditExtra = {}): Promise<void> {
    if (this.lean) this.pendingAudit.push(this.auditEntry(action, reason, extra));
    else await this.audit(action, reason, extra);
  }

  private auditEntry(action: AuditAction, reason: string, extra: AuditExtra): AuditEntry {
    return this.entryAt(++this.auditSeq, action, reason, extra);
  }

  private entryAt(seq: number, action: AuditAction, reason: string, extra: AuditExtra): AuditEntry {
    const info = workflowInfo();
    return auditEntry({
      seq,
      version: this.status.version,
      timestamp: new Date().toISOString(),
      action,
      from_stage: extra.fromStage ?? this.seedStage,
      to_stage: extra.toStage ?? this.seedStage,
      approved_by: extra.approvedBy ?? null,
      ci_run_id: this.status.ciRunId,
      commit_sha: this.status.commitSha,
      workflow_id: info.workflowId,
      run_id: info.runId,
      kind: this.status.kind,
      reason,
      channel: extra.channel ?? null,
      internal_stage: this.status.stage,
      from_version: extra.fromVersion ?? null,
      to_version: extra.toVersion ?? null,
    });
  }

  /**
   * Writes the audit entries not yet written, and with `evidence` the evidence as of now (stage
   * changes), as one batch. Entries added while a batch is being written go into the next one; every
   * caller waits for the batch with its entry, so the release does not move past a step whose record
   * is not written.
   */
  private writeRecords(evidence: boolean): Promise<void> {
    this.evidenceWanted ||= evidence;
    if (this.nextBatch) return this.nextBatch;
    const batch = this.recordsWritten.then(async () => {
      this.nextBatch = null;
      const input = { entries: this.pendingAudit.splice(0), status: this.evidenceWanted ? this.status : null };
      this.evidenceWanted = false;
      const what = input.entries.map((e) => e.action).join(', ') || 'evidence';
      await CancellationScope.nonCancellable(() =>
        localFirst('record', `records: ${what}`, (a) => a.recordBatch(input)),
      );
    });
    this.nextBatch = batch;
    this.recordsWritten = batch.catch(() => undefined);
    return batch;
  }

  async notify(
    kind: NotificationKind,
    title: string,
    reason: string,
    actions: NotificationAction[] = [],
  ): Promise<void> {
    if (this.lean) {
      await this.notifyInBackground(kind, title, reason, actions);
      return;
    }
    const receipt = await sendNotification(this.notification(kind, title, reason, actions));
    this.threadTs ??= receipt?.threadTs ?? null;
  }

  /**
   * A lean run's messages, each an activity of its own scheduled where it happens (never after
   * another message's answer: what the release does next must not depend on when Slack answered).
   * The first opens the release's thread and is waited for, once, at the start, so every later
   * one replies in it; the later ones go out in the background, so no stage change, decision or
   * rollback waits for Slack. A regular activity, not a local one: a worker that is told to stop
   * waits for it. One that cannot be delivered after its retries is dropped (the audit trail and
   * the status query carry what it said).
   */
  private async notifyInBackground(
    kind: NotificationKind,
    title: string,
    reason: string,
    actions: NotificationAction[] = [],
  ): Promise<void> {
    const message = this.notification(kind, title, reason, actions);
    const sent = CancellationScope.nonCancellable(() =>
      activities('notify', `notify: ${kind}`).notify({ ...message, threadTs: this.threadTs }),
    ).then(
      (receipt) => void (this.threadTs ??= receipt?.threadTs ?? null),
      () => undefined,
    );
    this.notificationsSent = Promise.all([this.notificationsSent, sent]).then(() => undefined);
    if (!this.threadOpened) {
      this.threadOpened = true;
      await sent;
    }
  }

  private notification(
    kind: NotificationKind,
    title: string,
    reason: string,
    actions: NotificationAction[],
  ): ReturnType<typeof notification> {
    const s = this.status;
    return notification({
      kind,
      workflowId: s.workflowId,
      version: s.version,
      releaseKind: s.kind,
      stage: s.stage,
      title,
      reason,
      url: this.url,
      threadTs: this.threadTs,
      actions,
      asked: s.approval.asked,
      approvalProgress: approvalProgress(s.approval),
      gates: s.gates,
    });
  }

  async writeEvidence(): Promise<void> {
    if (this.lean) return this.writeRecords(true);
    await surviveCancel(() =>
      activities('record', 'write evidence files').writeEvidence({
        workflowId: this.status.workflowId,
        version: this.status.version,
      }),
    );
  }

  /** Whether this run's history is large enough to continue as new at the next quiet moment. */
  get historyLarge(): boolean {
    const info = workflowInfo();
    return info.historyLength >= CONTINUE_AS_NEW_AT_EVENTS || info.continueAsNewSuggested;
  }

  /** What the next run needs to go on where this one stops (call right before continuing as new). */
  carry(canary: CanaryPosition): CarriedRelease {
    const { evaluations } = this.status.canary;
    return {
      status: {
        ...this.status,
        canary: { ...this.status.canary, evaluations: evaluations.slice(-CARRIED_EVALUATIONS) },
      },
      canary,
      auditSeq: this.auditSeq,
      seedStage: this.seedStage,
      threadTs: this.threadTs,
      routed: this.routed,
      held: [...this.held],
      granted: [...this.inbox.granted],
      pauseDecision: this.inbox.pauseDecision,
      cancel: this.inbox.cancel,
    };
  }

  keepEvaluation(evaluation: ReleaseStatus['canary']['evaluations'][number]): void {
    const list = this.status.canary.evaluations;
    list.push(evaluation);
    if (list.length > MAX_KEPT_EVALUATIONS) list.splice(0, list.length - MAX_KEPT_EVALUATIONS);
  }

  async finish(outcome: ReleaseOutcome, reason: string): Promise<void> {
    this.status.outcome = outcome;
    this.status.outcomeReason = reason;
    this.status.waitingFor = null;
    await this.transition(outcome, reason, { notify: false });
    await this.notify('release-finished', `${this.status.version} ${outcome}`, reason);
  }
}
