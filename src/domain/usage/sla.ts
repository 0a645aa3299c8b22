/** How a send failed, as the adapters class it (adapters/adapter-error.ts names the same four). */
export type FailureClass = 'timeout' | 'unavailable' | 'vendor_error' | 'rejected';

/** A side's contract: monthly availability (percent) and a latency objective. */
export interface SlaObjective {
  /** Percent of sends that must succeed in a month (e.g. 99.9). */
  availability: number;
  /** A send slower than this counts against the latency objective. */
  latencyMs: number;
  /** Percent of successful sends that must be within `latencyMs` (e.g. 99). */
  latencyPercent: number;
}

export interface HourSends {
  hour: number;
  succeeded: number;
  failures: Record<FailureClass, number>;
  slow: number;
}

/** The failures a vendor answers for: not `rejected`, a definite 4xx, which is the caller's. */
export const SLA_FAILURES: readonly FailureClass[] = ['timeout', 'unavailable', 'vendor_error'];

export interface SlaReport {
  objective: SlaObjective;
  sends: number;
  failed: number;
  failedByClass: Record<FailureClass, number>;
  /** Successful share of sends this month (0..1); null without sends. */
  availability: number | null;
  met: boolean;
  /** Failures the objective allows for the sends so far, and what is left of them (negative: spent). */
  errorBudget: { allowed: number; used: number; left: number; leftShare: number | null };
  /**
   * Each hour's failed share of its sends, in minutes (a whole hour down is 60, half its sends
   * failing 30): downtime as a credit claim counts it, not wall-clock minutes of total outage.
   */
  downtimeMinutes: number;
  latency: { slow: number; withinShare: number | null; met: boolean };
  /** The hours with the largest failed share, worst first (at most five). */
  worstHours: Array<{ hour: number; sends: number; failed: number; failedShare: number }>;
}

export function slaReport(objective: SlaObjective, hours: readonly HourSends[]): SlaReport {
  const failedByClass: Record<FailureClass, number> = { timeout: 0, unavailable: 0, vendor_error: 0, rejected: 0 };
  let succeeded = 0;
  let slow = 0;
  let downtimeMinutes = 0;
  const perHour: SlaReport['worstHours'] = [];
  for (const hour of hours) {
    for (const failure of Object.keys(failedByClass) as FailureClass[]) failedByClass[failure] += hour.failures[failure];
    const failed = SLA_FAILURES.reduce((sum, f) => sum + hour.failures[f], 0);
    const sends = hour.succeeded + failed;
    succeeded += hour.succeeded;
    slow += hour.slow;
    if (sends === 0) continue;
    downtimeMinutes += (failed / sends) * 60;
    if (failed > 0) perHour.push({ hour: hour.hour, sends, failed, failedShare: failed / sends });
  }
  const failed = SLA_FAILURES.reduce((sum, f) => sum + failedByClass[f], 0);
  const sends = succeeded + failed;
  const allowed = sends * (1 - objective.availability / 100);
  const availability = sends === 0 ? null : succeeded / sends;
  const withinShare = succeeded === 0 ? null : (succeeded - slow) / succeeded;
  return {
    objective, sends, failed, failedByClass, availability,
    met: availability === null || availability * 100 >= objective.availability,
    errorBudget: { allowed, used: failed, left: allowed - failed, leftShare: allowed > 0 ? (allowed - failed) / allowed : null },
    downtimeMinutes,
    latency: { slow, withinShare, met: withinShare === null || withinShare * 100 >= objective.latencyPercent },
    worstHours: perHour.sort((a, b) => b.failedShare - a.failedShare || b.failed - a.failed).slice(0, 5),
  };
}
