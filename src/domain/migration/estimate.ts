/** What a plan counts on the old side, and what the sides allow. */
export interface PlanTotals {
  users: number;
  groups: number;
  members: number;
  conversations: number;
  messages: number;
}

export interface PlanRates {
  /** Old-side read calls per second over the fleet; undefined = no limit. */
  oldReadsPerSecond?: number;
  /** New-side write calls per second over the fleet; undefined = no limit. */
  newWritesPerSecond?: number;
  pageSize: number;
  messagesPerCall: number;
}

export interface PlanEstimate {
  oldReadCalls: number;
  newWriteCalls: number;
  /** Seconds the limits alone make the copy last; null when neither side has one. */
  limitBoundSeconds: number | null;
  /** Which side's limit binds, if any. */
  boundBy: 'old' | 'new' | null;
}

/** Reads a user takes on the old side: profile, contacts, blocklist, settings, read positions. */
const READS_PER_USER = 5;
/** Writes a group takes besides its members: its record. */
const WRITES_PER_GROUP = 1;

/**
 * The calls a copy makes and the time the rate limits alone impose. A lower bound: real time is
 * the larger of this and what the sides' latency allows, which only the running job measures.
 */
export function estimateCopy(totals: PlanTotals, rates: PlanRates): PlanEstimate {
  const pages = (items: number, per: number) => Math.ceil(items / Math.max(1, per));
  // A conversation's last page is partial: one call per conversation more than messages/page.
  const oldReadCalls = totals.users * READS_PER_USER + totals.groups * 2 + pages(totals.members, rates.pageSize)
    + totals.conversations + pages(totals.messages, rates.pageSize) + pages(totals.users + totals.groups + totals.conversations, rates.pageSize);
  const perCall = Math.min(rates.pageSize, rates.messagesPerCall);
  const newWriteCalls = totals.users + totals.groups * WRITES_PER_GROUP + pages(totals.members, Math.min(rates.pageSize, 1000))
    + totals.conversations + pages(totals.messages, perCall);
  const oldSeconds = rates.oldReadsPerSecond ? oldReadCalls / rates.oldReadsPerSecond : null;
  const newSeconds = rates.newWritesPerSecond ? newWriteCalls / rates.newWritesPerSecond : null;
  if (oldSeconds === null && newSeconds === null) return { oldReadCalls, newWriteCalls, limitBoundSeconds: null, boundBy: null };
  const boundBy = (newSeconds ?? 0) >= (oldSeconds ?? 0) ? 'new' : 'old';
  return { oldReadCalls, newWriteCalls, limitBoundSeconds: Math.max(oldSeconds ?? 0, newSeconds ?? 0), boundBy };
}
