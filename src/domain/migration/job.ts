import type { PlanTotals } from './estimate.js';
import type { ListingPosition } from './units.js';

/** `copy` moves what old holds to new; `verify` compares every unit and, with `redrive`, repairs it. */
export type JobMode = 'copy' | 'verify';

export type JobStatus = 'running' | 'paused' | 'finalizing' | 'done';

export interface Job {
  id: string;
  mode: JobMode;
  redrive: boolean;
  status: JobStatus;
  startedAt: number;
  startedBy: string;
  reason: string;
  finishedAt: number | null;
  /**
   * Verify compares messages sent before this time only: younger ones may still be on their way
   * to the secondary through the outbox, and are the next verify's.
   */
  settledBefore: number;
  /** What the old side listed when the job started (its plan): the ETA's total. */
  expected: PlanTotals;
}

/** Counter names the job keeps (summed over every instance); absent = 0. */
export const COUNTERS = [
  'listed.user', 'listed.group', 'listed.conversation', 'listed.messages', 'listed.members',
  'done.user', 'done.group', 'done.conversation',
  'messages.created', 'messages.existing', 'messages.verified',
  'members.written', 'members.verified',
  'mismatches', 'fixed', 'missing.user', 'missing.group', 'takenOver',
] as const;
export type CounterName = (typeof COUNTERS)[number];
export type Counters = Partial<Record<CounterName, number>>;

export interface JobProgress {
  job: Job;
  listing: ListingPosition;
  counters: Counters;
  /** Units listed but not finished, and how many of them an instance holds now. */
  units: { open: number; leased: number };
}

export function counter(counters: Counters, name: CounterName): number {
  return counters[name] ?? 0;
}

/** Items a job handles: users, groups, members and messages; what progress and ETA count. */
export function itemsDone(progress: Pick<JobProgress, 'job' | 'counters'>): number {
  const c = progress.counters;
  const messages = progress.job.mode === 'copy' ? counter(c, 'messages.created') + counter(c, 'messages.existing') : counter(c, 'messages.verified');
  const members = progress.job.mode === 'copy' ? counter(c, 'members.written') : counter(c, 'members.verified');
  return counter(c, 'done.user') + counter(c, 'done.group') + members + messages;
}

/** Items the job expects: its plan's, or what it listed since, if more arrived (the dual-write period). */
export function itemsExpected(progress: Pick<JobProgress, 'job' | 'counters'>): number {
  const c = progress.counters;
  const { users, groups, members, messages } = progress.job.expected;
  const listed = counter(c, 'listed.user') + counter(c, 'listed.group') + counter(c, 'listed.members') + counter(c, 'listed.messages');
  return Math.max(users + groups + members + messages, listed);
}

export interface JobPace {
  done: number;
  expected: number;
  /** Items per second over the job's whole run (pauses included). */
  itemsPerSecond: number;
  /** Seconds left at that pace; 0 once done, null before anything was done. */
  etaSeconds: number | null;
}

export function jobPace(progress: Pick<JobProgress, 'job' | 'counters'>, now: number): JobPace {
  const done = itemsDone(progress);
  const expected = itemsExpected(progress);
  const elapsed = ((progress.job.finishedAt ?? now) - progress.job.startedAt) / 1000;
  const itemsPerSecond = elapsed > 0 ? done / elapsed : 0;
  if (progress.job.status === 'done') return { done, expected, itemsPerSecond, etaSeconds: 0 };
  return { done, expected, itemsPerSecond, etaSeconds: itemsPerSecond > 0 ? Math.max(0, expected - done) / itemsPerSecond : null };
}
