import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import type { SimProcess } from '../../support/sim-process.js';
import type { Logical } from './load.js';

export interface DeadLetterView {
  ref: string;
  side: 'old' | 'new';
  kind?: 'secondary' | 'recovery';
  record: { message?: { id?: string } };
  attempts: number;
  reason: string;
}

/** GET /admin/outbox as a gateway answers it. */
export interface OutboxReport {
  counts: {
    owed: { old: number; new: number };
    retrying: { old: number; new: number };
    deadLettered: { old: number; new: number };
    unconfirmed: number;
  };
  deadLetters: { old: DeadLetterView[]; new: DeadLetterView[] };
}

export interface AccountOptions {
  /** The scenario, as printed: `fault <name>: ...`. */
  name: string;
  sides: { old: SimProcess; new: SimProcess };
  /** Reads the outbox through some gateway that is up (the response body: a report, or an error while it cannot read Redis). */
  outbox: () => Promise<unknown>;
  messages: Logical[];
  /**
   * How long to let the outbox drain (nothing owed or unconfirmed, and every promised message on
   * both sides or nothing changing for QUIET_MS) before counting; the count happens then, drained or not.
   */
  drainMs: number;
  /** Dead letters are what the scenario makes, not stranded writes. */
  deadLettersExpected?: boolean;
  /** More numbers for the printed line; a function is read after the drain (a side's stats, say). */
  extra?: Extra | (() => Promise<Extra>);
}

type Extra = Record<string, number | string>;

/** What one scenario's messages came to. */
export interface Tally {
  sent: number;
  accepted: number;
  pending: number;
  failed: number;
  network: number;
  /** Answered 2xx or 202 at least once: the sides owe them. */
  promised: number;
  /** Promised, yet missing (under the promised id) on a side; both sides must hold it while dual-writing. */
  lost: number;
  lostOnOld: number;
  lostOnNew: number;
  /** One payload under two or more ids on one side. */
  doubled: number;
  /** Owed or unconfirmed after the drain wait, plus dead letters unless the scenario makes them. */
  stranded: number;
  owed: number;
  unconfirmed: number;
  deadLetters: number;
  /** The caller's final answer was a definite failure, yet a side holds the message. */
  storedButFailed: number;
  /** No answer, or one that said the outcome is unknown, and a side holds it: no promise broken. */
  ambiguousStored: number;
  lostMessages: Logical[];
  storedButFailedMessages: Logical[];
  doubledMessages: Logical[];
  report: OutboxReport | undefined;
  /** The printed line. */
  line: string;
}

const POLL_MS = 250;
/** Drained and no side took a message for this long: what is missing now stays missing. */
const QUIET_MS = 3_000;

/** Waits (bounded) for the outbox to drain, then counts what each side holds against what callers were told, and prints it. */
export async function account(options: AccountOptions): Promise<Tally> {
  const { messages, drainMs } = options;
  const promised = messages.filter((m) => m.promisedAt !== undefined);
  const deadline = Date.now() + drainMs;
  let snapshot = await look(options);
  let quietSince = Date.now();
  while (Date.now() < deadline && !(drained(snapshot.report) && promised.every((m) => holdsBoth(snapshot, m)))) {
    await sleep(POLL_MS);
    const next = await look(options);
    if (next.ids.old.size !== snapshot.ids.old.size || next.ids.new.size !== snapshot.ids.new.size) quietSince = Date.now();
    snapshot = next;
    if (drained(snapshot.report) && Date.now() - quietSince >= QUIET_MS) break;
  }
  // A last look once drained: the acks and the last secondary writes have settled.
  snapshot = await look(options);
  const extra = typeof options.extra === 'function' ? await options.extra() : options.extra;
  return tally(options, snapshot, extra ?? {});
}

interface Snapshot {
  report: OutboxReport | undefined;
  /** Per side: payload → the ids it is stored under. */
  byPayload: { old: Map<string, string[]>; new: Map<string, string[]> };
  ids: { old: Set<string>; new: Set<string> };
}

async function look(options: AccountOptions): Promise<Snapshot> {
  // A gateway answering an error (a 503 while its Redis fails over) has no report to give: look again later.
  const report = options.outbox().then((body) => (isReport(body) ? body : undefined), () => undefined);
  const [outbox, old, fresh] = await Promise.all([report, options.sides.old.payloads(), options.sides.new.payloads()]);
  return { report: outbox, byPayload: { old: index(old), new: index(fresh) }, ids: { old: new Set(old.map((m) => m.id)), new: new Set(fresh.map((m) => m.id)) } };
}

function index(stored: Array<{ id: string; payload: string }>): Map<string, string[]> {
  const map = new Map<string, string[]>();
  for (const { id, payload } of stored) {
    const ids = map.get(payload);
    if (ids) ids.push(id);
    else map.set(payload, [id]);
  }
  return map;
}

function isReport(body: unknown): body is OutboxReport {
  return typeof body === 'object' && body !== null && 'counts' in body;
}

function drained(report: OutboxReport | undefined): boolean {
  if (!report) return false;
  const { owed, unconfirmed } = report.counts;
  return owed.old + owed.new + unconfirmed === 0;
}

function holdsBoth(snapshot: Snapshot, message: Logical): boolean {
  const id = message.promisedId ?? message.id;
  return id !== undefined && snapshot.ids.old.has(id) && snapshot.ids.new.has(id);
}

function tally(options: AccountOptions, snapshot: Snapshot, extras: Extra): Tally {
  const { messages } = options;
  const count = (outcome: Logical['outcome']): number => messages.filter((m) => m.outcome === outcome).length;
  const promised = messages.filter((m) => m.promisedAt !== undefined);
  const missingOn = (side: 'old' | 'new') => promised.filter((m) => !snapshot.ids[side].has((m.promisedId ?? m.id)!));
  const lostOld = missingOn('old');
  const lostNew = missingOn('new');
  const lostMessages = promised.filter((m) => lostOld.includes(m) || lostNew.includes(m));
  const held = (m: Logical): boolean => snapshot.byPayload.old.has(m.payload) || snapshot.byPayload.new.has(m.payload);
  const unpromised = messages.filter((m) => m.promisedAt === undefined && held(m));
  const storedButFailedMessages = unpromised.filter((m) => !m.ambiguous);
  const doubledMessages = messages.filter((m) => (snapshot.byPayload.old.get(m.payload)?.length ?? 0) > 1 || (snapshot.byPayload.new.get(m.payload)?.length ?? 0) > 1);

  const report = snapshot.report;
  const owed = report ? report.counts.owed.old + report.counts.owed.new : NaN;
  const unconfirmed = report ? report.counts.unconfirmed : NaN;
  const deadLetters = report ? report.counts.deadLettered.old + report.counts.deadLettered.new : NaN;
  const stranded = owed + unconfirmed + (options.deadLettersExpected ? 0 : deadLetters);

  const result: Omit<Tally, 'line'> = {
    sent: messages.length, accepted: count('accepted'), pending: count('pending'), failed: count('failed'), network: count('network'),
    promised: promised.length, lost: lostMessages.length, lostOnOld: lostOld.length, lostOnNew: lostNew.length,
    doubled: doubledMessages.length, stranded, owed, unconfirmed, deadLetters,
    storedButFailed: storedButFailedMessages.length, ambiguousStored: unpromised.length - storedButFailedMessages.length,
    lostMessages, storedButFailedMessages, doubledMessages, report,
  };
  const extra = Object.entries(extras).map(([key, value]) => ` ${key} ${value}`).join('');
  const line = `fault ${options.name}: sent ${result.sent} accepted ${result.accepted} pending ${result.pending} failed ${result.failed} network ${result.network}`
    + ` | promised ${result.promised} lost ${result.lost} (old ${result.lostOnOld}, new ${result.lostOnNew}) doubled ${result.doubled}`
    + ` stranded ${result.stranded} (owed ${owed}, unconfirmed ${unconfirmed}, deadLetters ${deadLetters}) storedButFailed ${result.storedButFailed}`
    + ` ambiguousStored ${result.ambiguousStored}${extra}`;
  console.log(line);
  return { ...result, line };
}

type Broken = 'lost' | 'doubled' | 'stranded' | 'storedButFailed' | 'deadLetters';

const WHAT: Record<Broken, { says: string; messages?: (tally: Tally) => Logical[] }> = {
  lost: { says: 'promised yet missing on a side', messages: (tally) => tally.lostMessages },
  doubled: { says: 'one payload under two ids on a side', messages: (tally) => tally.doubledMessages },
  stranded: { says: 'left owed, unconfirmed or (unexpectedly) dead-lettered after the drain' },
  storedButFailed: { says: 'reported failed yet stored on a side', messages: (tally) => tally.storedButFailedMessages },
  deadLetters: { says: 'dead-lettered' },
};

/** Asserts that each named count is 0, naming a few of the messages that broke it. */
export function assertNone(tally: Tally, broken: Broken[]): void {
  for (const name of broken) {
    const { says, messages } = WHAT[name];
    assert.equal(tally[name], 0, `${tally[name]} ${says}${messages ? `: ${sample(messages(tally))}` : ''}`);
  }
}

/** A few messages with their answer trails, for an assertion's message. */
export function sample(messages: Logical[], max = 5): string {
  return messages.slice(0, max).map((m) => `${m.promisedId ?? m.id ?? '(no id)'} [${m.trail.join(' ')}]${m.failure ? ` ${m.failure}` : ''}`).join('; ');
}

/** Failures by their final answer (`HTTP 503 OUTBOX_UNAVAILABLE: 12, ECONNRESET: 3`), for the printed line. */
export function failuresByAnswer(messages: Logical[]): string {
  const counts = new Map<string, number>();
  for (const m of messages) if (m.failure !== undefined && m.promisedAt === undefined) counts.set(m.failure, (counts.get(m.failure) ?? 0) + 1);
  return [...counts].map(([what, n]) => `${what.replace(/ /g, '_')}=${n}`).join(',') || '-';
}
