import type { Logger } from 'pino';
import { FailureStreak, type StreakRules } from '../domain/guard/failure-streak.js';
import type { GuardRules } from '../domain/guard/guard-rules.js';
import { RollingSeries } from '../domain/guard/rolling-series.js';
import { SETTLE_SECONDS } from '../domain/guard/window.js';
import { judge, type GuardReport } from '../domain/guard/verdict.js';
import type { Side } from '../domain/message.js';
import { nextStep, planPosition, type Plan } from '../domain/plan.js';
import type { RolloutState } from '../domain/rollout-state.js';
import type { Notifier } from './ports/notifier.js';
import type { TrafficWindows } from './ports/traffic-windows.js';
import type { CallOutcome } from './ports/telemetry.js';
import type { Actor, RolloutControl } from './rollout-control.js';
import type { StateView } from './state-view.js';

export interface GuardTelemetry {
  guardReport(report: GuardReport | null): void;
  guardAction(action: 'rollback' | 'promote'): void;
}

export interface GuardOptions {
  windows: TrafficWindows;
  stateView: StateView;
  control: RolloutControl;
  plan: Plan;
  rules: GuardRules;
  streakRules: StreakRules;
  notifier: Notifier;
  telemetry: GuardTelemetry;
  logger: Logger;
  instanceId: string;
  clock?: () => number;
}

const GUARD: Actor = { name: 'guard', role: 'guard' };

/**
 * The guard loop: once a second it reads the fleet's traffic, asks the pure verdict function, and
 * acts through the same compare-and-set path a person uses (rollback with trigger `auto`; or, with
 * auto-promotion, the plan's next step). Every instance runs it: the CAS makes one rollback of many
 * attempts, and a state already rolled back is a no-op. In-process, a streak of new-side failures
 * rolls back without waiting for the next second.
 */
export class Guard {
  private timer: NodeJS.Timeout | undefined;
  private report: GuardReport | null = null;
  private acting = false;
  private failing = false;
  private readonly streak: FailureStreak;
  private readonly clock: () => number;
  private readonly lookbackSeconds: number;
  private readonly series: RollingSeries;

  constructor(private readonly options: GuardOptions) {
    this.clock = options.clock ?? Date.now;
    this.streak = new FailureStreak(options.streakRules);
    const r = options.rules;
    this.lookbackSeconds = Math.max(r.errorTest.historySeconds, r.errorTest.memorySeconds, r.judgeWindowSeconds + r.consecutiveBreaches, r.noDataRollbackAfterSeconds + r.judgeWindowSeconds);
    this.series = new RollingSeries(SETTLE_SECONDS, this.lookbackSeconds);
  }

  get lastReport(): GuardReport | null {
    return this.report;
  }

  /** Every send outcome of this instance (from the instrumented adapters). */
  onSend(side: Side, outcome: CallOutcome): void {
    if (!this.streak.record(side, outcome === 'ok')) return;
    const state = this.options.stateView.current();
    if (!watching(state)) return;
    void this.rollback(`failure streak: ${this.streak.streak} new-side sends failed in a row on instance ${this.options.instanceId}, while old kept working`, {
      rule: 'failure-streak', streak: this.streak.streak, instance: this.options.instanceId,
    });
  }

  start(): void {
    const schedule = (): void => {
      // Half a second past each second: instances have flushed the second that just closed.
      const delay = 1000 - (this.clock() % 1000) + 500;
      this.timer = setTimeout(() => {
        void this.evaluate().then(() => {
          if (this.failing) this.options.logger.info('guard evaluating again');
          this.failing = false;
        }, (err: unknown) => {
          // Once per outage: the verdict gauge (idle) tells the rest.
          if (!this.failing) this.options.logger.warn({ err: { message: (err as Error).message } }, 'guard cannot read the traffic windows; holding (no rollback, no promotion)');
          this.failing = true;
          this.options.telemetry.guardReport(null);
        }).finally(schedule);
      }, delay);
      this.timer.unref();
    };
    schedule();
  }

  stop(): void {
    clearTimeout(this.timer);
  }

  /** One evaluation: judge the last closed second and act on the verdict. */
  async evaluate(): Promise<GuardReport | null> {
    const state = this.options.stateView.current();
    if (!watching(state) && !state.rollback) {
      this.report = null;
      this.options.telemetry.guardReport(null);
      return null;
    }
    const now = Math.floor(this.clock() / 1000) - 1;
    const since = Math.floor(Date.parse(state.since) / 1000);
    // Old's history before the step counts too (the error test's reference); the verdict judges new from `since`.
    const samples = await this.options.windows.read(now - this.lookbackSeconds, now);
    this.series.update(samples, now);
    const report = judge({ series: this.series, now, since, rules: this.options.rules });
    this.report = report;
    this.options.telemetry.guardReport(report);
    if (state.rollback) return report;
    if (report.verdict === 'rollback') {
      await this.rollback(report.reason, { rule: report.rule, old: report.old, new: report.new, sequential: report.sequential, checks: report.checks, second: report.second });
    } else if (report.verdict === 'healthy' && this.options.plan.autoPromote) {
      await this.promote(state, report);
    }
    return report;
  }

  private async rollback(reason: string, details: Record<string, unknown>): Promise<void> {
    if (this.acting) return;
    this.acting = true;
    try {
      const outcome = await this.options.control.change(GUARD, { type: 'rollback', trigger: 'auto', reason }, { reason, details });
      if (!outcome.changed) return; // another instance (or a person) was first
      this.options.telemetry.guardAction('rollback');
      this.options.logger.error({ reason, details, stateVersion: outcome.state.version }, 'guard rolled back: everyone is on old');
      this.options.notifier.notify({
        event: 'rollback', trigger: 'auto', reason, state: outcome.state, details,
        summary: `:rotating_light: Cutover ${outcome.state.migration}: automatic rollback to old at ${outcome.state.rollback?.resumeTo.percent} % (${outcome.state.rollback?.resumeTo.stage}). ${reason}. Resume with: cutover resume`,
      });
    } catch (err) {
      this.options.logger.error({ err: { message: (err as Error).message }, reason }, 'guard rollback failed; will try again next second');
    } finally {
      this.acting = false;
    }
  }

  private async promote(state: RolloutState, report: GuardReport): Promise<void> {
    const position = planPosition(this.options.plan, state, this.clock());
    if (!position.readyToStep || this.acting) return;
    this.acting = true;
    try {
      const reason = `auto-promotion after a healthy bake: ${report.reason}`;
      const outcome = await this.options.control.change(GUARD, (current) => nextStep(this.options.plan, current, this.clock()), { reason, action: 'step', details: { old: report.old, new: report.new } });
      if (!outcome.changed) return;
      this.options.telemetry.guardAction('promote');
      this.options.logger.info({ percent: outcome.state.percent, stateVersion: outcome.state.version }, 'guard promoted the rollout to the next step');
      this.options.notifier.notify({
        event: 'promotion', trigger: 'auto', reason, state: outcome.state,
        summary: `Cutover ${outcome.state.migration}: promoted to ${outcome.state.percent} % after a healthy bake.`,
      });
    } catch (err) {
      // Lost a race with another instance, or the bake reset: the next healthy second decides again.
      this.options.logger.debug({ err: { message: (err as Error).message } }, 'auto-promotion skipped');
    } finally {
      this.acting = false;
    }
  }
}

/** The guard judges while both sides are written and new is not yet alone. */
function watching(state: RolloutState): boolean {
  return !state.rollback && (state.stage === 'shadow' || state.stage === 'canary');
}
