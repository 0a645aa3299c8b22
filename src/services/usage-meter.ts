import type { Logger } from 'pino';
import { SIDES, type Conversation, type OutboundMessage, type Side } from '../domain/message.js';
import { billableUnits, type PriceTable } from '../domain/usage/billing.js';
import { billAtStep, monthOf, projectSide, type SideProjection } from '../domain/usage/projection.js';
import type { Bill } from '../domain/usage/billing.js';
import type { AdapterFailure } from '../adapters/adapter-error.js';
import type { ImportResult } from '../adapters/migration-side.js';
import { slaReport, type SlaObjective, type SlaReport } from '../domain/usage/sla.js';
import type { ImportMeter } from './ports/import-meter.js';
import type { MessageActivity } from './ports/message-activity.js';
import { addHour, emptyHour, type HourUsage, type UsageBatch, type UsageStore } from './ports/usage-store.js';

/**
 * What a side stores for a message, beyond the payload: its id, the two parties and the envelope
 * around them (Cutover's RTM envelope is JSON of about this much). An estimate, within ~50 bytes.
 */
const ENVELOPE_BYTES = 80;
const FLUSH_EVERY_MS = 5_000;
/**
 * Users held per side and hour between flushes (active users, and online users over the hour's
 * minutes, each): while the store is away they pile up, so past this many the rest go uncounted
 * (the active-user and peak figures then read low) rather than memory growing.
 */
const MAX_PENDING_USERS = 200_000;
/** The current rate is the average of the last hours (whole hours, and the current one so far). */
const RATE_HOURS = 6;
const HOUR_MS = 3_600_000;
const MINUTE_MS = 60_000;
/**
 * A user's mark: the minute last seen (epoch minutes × MARK_MINUTE) plus what they were counted
 * as: online in that minute, active in its hour. A small integer until 2097: no boxed numbers.
 */
const MARK_MINUTE = 16;
const ONLINE: Record<Side, number> = { old: 1, new: 2 };
const ACTIVE: Record<Side, number> = { old: 4, new: 8 };
const ONLINE_ANYWHERE = ONLINE.old | ONLINE.new;
const ACTIVE_ANYWHERE = ACTIVE.old | ACTIVE.new;
const MINUTES_PER_HOUR = 60;

/** One hour's counts held between flushes. */
interface OpenHour {
  sides: Record<Side, HourUsage>;
  users: Record<Side, Set<string>>;
  /** Users seen online, per minute since the epoch. */
  online: Map<number, Record<Side, Set<string>>>;
  /** Entries of `online` per side, against MAX_PENDING_USERS. */
  onlineHeld: Record<Side, number>;
}

export interface UsageMeterOptions {
  store: UsageStore;
  prices: Partial<Record<Side, PriceTable>>;
  /** Each side's SLA, when one is configured (sla.<side>). */
  slas?: Partial<Record<Side, SlaObjective>>;
  logger: Logger;
  /** The side a user's app logs into (their cohort): where a send through the API shows them online. */
  cohortOf: (userId: string) => Side;
  clock?: () => number;
}

export interface SideUsageReport {
  messages: number;
  /** Billable units so far: the sends', and what an import published where the side's import does. */
  units: number;
  /** History storage written: the sends' and the imports'. */
  bytes: number;
  /** The migration job's imports, also in `units` and `bytes`. */
  imported: { messages: number; bytes: number; units: number };
  activeUsers: { today: number; month: number };
  /**
   * The month's most users seen online in one minute, and the hour (ISO, UTC) it happened in: a
   * lower bound of the side's peak concurrent users (apps connected but silent are not seen).
   */
  peakConcurrentUsers: { users: number; hour: string | null };
  unitsPerHour: number;
  price: PriceTable | null;
  /** This month against the side's SLA; null without one. */
  sla: SlaReport | null;
  projection: (SideProjection & { steps: Array<{ percent: number; dualWriting: boolean; bill: Bill }> }) | null;
}

export interface UsageReport {
  month: string;
  at: string;
  sides: Record<Side, SideUsageReport>;
}

/** Plan steps the projection prices (the 25 %, 50 % and 100 % on new, with dual-writing on and off). */
export const PROJECTED_STEPS = [25, 50, 100] as const;

/**
 * Meters what each side is given, in its billing unit, on the send path without a Redis call: a
 * few increments in memory per delivered message, flushed to the fleet-wide store every few
 * seconds with the users active (distinct per flush) and those seen online per minute. A user is
 * counted as their messages are taken, not per write: active once an hour per side, online once a
 * minute. Imports of the migration job are counted apart. Reports the month so far and projects it.
 */
export class UsageMeter implements MessageActivity, ImportMeter {
  private readonly clock: () => number;
  private pending = new Map<number, OpenHour>();
  /** The hour sends land in, looked up once an hour rather than per send (reset by a flush). */
  private current: { hour: number; open: OpenHour } | undefined;
  /**
   * What each user was counted as when last seen (a mark): one lookup per party of a message, the
   * sets touched only for what is new this minute (online) or hour (active). Bounded, cleared
   * when full (users are then counted again, which the sets absorb).
   */
  private readonly marks = new Map<string, number>();
  private timer: NodeJS.Timeout | undefined;
  private failing = false;
  private readonly unitOf: Record<Side, PriceTable['unit']>;
  private readonly receivers: Record<Side, number>;
  private readonly slowerThanMs: Record<Side, number>;

  constructor(private readonly options: UsageMeterOptions) {
    this.clock = options.clock ?? Date.now;
    this.unitOf = { old: options.prices.old?.unit ?? 'message', new: options.prices.new?.unit ?? 'message' };
    this.receivers = { old: options.prices.old?.channelReceivers ?? 1, new: options.prices.new?.channelReceivers ?? 1 };
    this.slowerThanMs = { old: options.slas?.old?.latencyMs ?? Infinity, new: options.slas?.new?.latencyMs ?? Infinity };
  }

  private openHour(now = this.clock()): OpenHour {
    const hour = Math.floor(now / HOUR_MS);
    if (this.current?.hour === hour) return this.current.open;
    let open = this.pending.get(hour);
    if (!open) {
      open = { sides: { old: emptyHour(), new: emptyHour() }, users: { old: new Set(), new: new Set() }, online: new Map(), onlineHeld: { old: 0, new: 0 } };
      this.pending.set(hour, open);
    }
    this.current = { hour, open };
    return open;
  }

  /** A send `side` failed, by class (its SLA counts all but `rejected`). */
  failed(side: Side, failure: AdapterFailure): void {
    this.openHour().sides[side].failures[failure]++;
  }

  /** A message `side` took (a primary or a secondary write) at `at` (epoch ms), in `seconds`. */
  delivered(side: Side, message: OutboundMessage, seconds = 0, at = this.clock()): void {
    const usage = this.openHour(at).sides[side];
    if (seconds * 1000 > this.slowerThanMs[side]) usage.slow++;
    const bytes = Buffer.byteLength(message.payload) + ENVELOPE_BYTES;
    usage.messages++;
    usage.bytes += bytes;
    usage.units += billableUnits(this.unitOf[side], bytes, message.to.type === 'user' ? 1 : this.receivers[side]);
  }

  accepted(message: OutboundMessage, primary: Side, secondary: Side | null, now: number): void {
    const active = ACTIVE[primary] | (secondary === null ? 0 : ACTIVE[secondary]);
    const minute = Math.floor(now / MINUTE_MS);
    const sender = message.from;
    const held = this.heldBy(sender, minute);
    // Online on either side this minute already: the sender's cohort is looked up once a minute, not per message.
    const bits = (held & ONLINE_ANYWHERE) === 0 ? active | ONLINE[this.options.cohortOf(sender)] : active;
    if ((bits & ~held) !== 0) this.count(sender, held, bits, minute, now);
    if (message.to.type === 'user') this.countActive(message.to.id, active, minute, now);
  }

  bridged(message: OutboundMessage, via: Side, to: Side | null, now: number): void {
    const active = to === null ? 0 : ACTIVE[to];
    const minute = Math.floor(now / MINUTE_MS);
    this.countActive(message.from, ONLINE[via] | active, minute, now);
    if (active !== 0 && message.to.type === 'user') this.countActive(message.to.id, active, minute, now);
  }

  /**
   * What `userId` was counted as: online this minute, active this hour (the active sets are per
   * hour; 0: not seen in either).
   */
  private heldBy(userId: string, minute: number): number {
    const mark = this.marks.get(userId);
    if (mark === undefined) return 0;
    const base = minute * MARK_MINUTE;
    if (mark >= base && mark < base + MARK_MINUTE) return mark - base;
    const markMinute = Math.floor(mark / MARK_MINUTE);
    return Math.floor(markMinute / MINUTES_PER_HOUR) === Math.floor(minute / MINUTES_PER_HOUR) ? (mark - markMinute * MARK_MINUTE) & ACTIVE_ANYWHERE : 0;
  }

  private countActive(userId: string, bits: number, minute: number, now: number): void {
    const held = this.heldBy(userId, minute);
    if ((bits & ~held) !== 0) this.count(userId, held, bits, minute, now);
  }

  /** Adds `userId` to the sets `bits` names that `held` does not, and marks them counted. */
  private count(userId: string, held: number, bits: number, minute: number, now: number): void {
    if (this.marks.size >= MAX_PENDING_USERS) this.marks.clear();
    this.marks.set(userId, minute * MARK_MINUTE + (held | bits));
    const open = this.openHour(now);
    const added = bits & ~held;
    for (const side of SIDES) {
      if ((added & ACTIVE[side]) !== 0 && open.users[side].size < MAX_PENDING_USERS) open.users[side].add(userId);
      if ((added & ONLINE[side]) !== 0 && open.onlineHeld[side] < MAX_PENDING_USERS) {
        let seen = open.online.get(minute);
        if (!seen) open.online.set(minute, (seen = { old: new Set(), new: new Set() }));
        const before = seen[side].size;
        seen[side].add(userId);
        open.onlineHeld[side] += seen[side].size - before;
      }
    }
  }

  /**
   * An import call into `side`: what it created is history storage. A side that answers counts
   * only (no ids) leaves a call that was partly `existing` counted at its messages' average size.
   * What it published is billed as messages, a channel's at `channelReceivers` receivers (a pair's
   * archive has none).
   */
  imported(side: Side, conversation: Conversation, messages: readonly OutboundMessage[], result: ImportResult): void {
    const usage = this.openHour().sides[side].imported;
    if (result.created > 0 && messages.length > 0) {
      let bytes = 0;
      for (const message of messages) bytes += Buffer.byteLength(message.payload) + ENVELOPE_BYTES;
      usage.messages += result.created;
      usage.bytes += result.created === messages.length ? bytes : Math.round((bytes * result.created) / messages.length);
    }
    const receivers = conversation.type === 'channel' ? this.receivers[side] : 0;
    for (const bytes of result.published ?? []) usage.units += billableUnits(this.unitOf[side], bytes, receivers);
  }

  start(): void {
    this.timer = setInterval(() => void this.flush(), FLUSH_EVERY_MS);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.flush();
  }

  /** Sends what was counted; on failure it is kept and sent with the next flush. */
  async flush(): Promise<void> {
    if (this.pending.size === 0) return;
    const taken = this.pending;
    this.pending = new Map();
    this.current = undefined;
    const batches: UsageBatch[] = [...taken].map(([hour, open]) => ({
      hour, sides: open.sides, users: { old: [...open.users.old], new: [...open.users.new] },
      online: [...open.online].map(([minute, users]) => ({ minute, users: { old: [...users.old], new: [...users.new] } })),
    }));
    try {
      await this.options.store.add(batches);
      if (this.failing) this.options.logger.info('usage metering reaches its store again');
      this.failing = false;
    } catch (err) {
      if (!this.failing) this.options.logger.warn({ err: { message: (err as Error).message } }, 'usage metering could not store its counts; keeping them for the next flush');
      this.failing = true;
      for (const [hour, open] of taken) this.merge(hour, open);
    }
  }

  private merge(hour: number, open: OpenHour): void {
    const into = this.pending.get(hour);
    if (!into) {
      this.pending.set(hour, open);
      return;
    }
    for (const side of SIDES) {
      addHour(into.sides[side], open.sides[side]);
      for (const user of open.users[side]) into.users[side].add(user);
      into.onlineHeld[side] += open.onlineHeld[side];
    }
    for (const [minute, users] of open.online) {
      const seen = into.online.get(minute);
      if (!seen) into.online.set(minute, users);
      else for (const side of SIDES) for (const user of users[side]) seen[side].add(user);
    }
  }

  /** The month so far, fleet-wide, and its projection per side (what `cutover cost` shows). */
  async report(): Promise<UsageReport> {
    const now = this.clock();
    const { start, end } = monthOf(now);
    const nowHour = Math.floor(now / HOUR_MS);
    const hours = await this.options.store.hours(Math.floor(start / HOUR_MS), nowHour);
    const iso = new Date(now).toISOString();
    const fleetPeak = Math.max(0, ...[...hours.values()].map((usage) => usage.old.peakConcurrentUsers + usage.new.peakConcurrentUsers));
    const sides = {} as Record<Side, SideUsageReport>;
    for (const side of SIDES) {
      const total = emptyHour();
      let recentUnits = 0;
      let peakHour: number | null = null;
      for (const [hour, usage] of hours) {
        if (usage[side].peakConcurrentUsers > total.peakConcurrentUsers) peakHour = hour;
        addHour(total, usage[side]);
        // The rate is the sends': an import is a one-off, not extrapolated over the month.
        if (hour > nowHour - RATE_HOURS) recentUnits += usage[side].units;
      }
      const recentHours = Math.max(1 / 60, Math.min(RATE_HOURS - 1 + (now % HOUR_MS) / HOUR_MS, (now - start) / HOUR_MS));
      const unitsPerHour = recentUnits / recentHours;
      const active = await this.options.store.activeUsers(side, iso.slice(0, 10), iso.slice(0, 7));
      const price = this.options.prices[side] ?? null;
      const objective = this.options.slas?.[side];
      const sla = objective
        ? slaReport(objective, [...hours].map(([hour, usage]) => ({ hour, succeeded: usage[side].messages, failures: usage[side].failures, slow: usage[side].slow })))
        : null;
      // What this side would bill in a month carrying every message once, at the current rate.
      const monthHours = (end - start) / HOUR_MS;
      const allTraffic = this.allTrafficUnitsPerHour(hours, nowHour, recentHours) * monthHours;
      const units = total.units + total.imported.units;
      const peakConcurrentUsers = { users: total.peakConcurrentUsers, hour: peakHour === null ? null : new Date(peakHour * HOUR_MS).toISOString() };
      sides[side] = {
        messages: total.messages, units, bytes: total.bytes + total.imported.bytes, imported: total.imported,
        activeUsers: { today: active.day, month: active.month }, peakConcurrentUsers, unitsPerHour, price, sla,
        projection: price && {
          ...projectSide(price, { monthToDate: units, unitsPerHour, peakConcurrentUsers: peakConcurrentUsers.users }, now),
          steps: PROJECTED_STEPS.flatMap((percent) => [true, false].map((dualWriting) => ({
            percent, dualWriting, bill: billAtStep(price, this.inUnitsOf(side, allTraffic, hours), side, percent, dualWriting, fleetPeak),
          }))),
        },
      };
    }
    return { month: iso.slice(0, 7), at: iso, sides };
  }

  /** Messages per hour the fleet sends (each once: the larger of the two sides' counts). */
  private allTrafficUnitsPerHour(hours: Map<number, Record<Side, HourUsage>>, nowHour: number, recentHours: number): number {
    let messages = 0;
    for (const [hour, usage] of hours) if (hour > nowHour - RATE_HOURS) messages += Math.max(usage.old.messages, usage.new.messages);
    return messages / recentHours;
  }

  /** Messages converted to `side`'s units at the month's average units per message there. */
  private inUnitsOf(side: Side, messages: number, hours: Map<number, Record<Side, HourUsage>>): number {
    let units = 0;
    let count = 0;
    for (const usage of hours.values()) {
      units += usage[side].units;
      count += usage[side].messages;
    }
    return messages * (count > 0 ? units / count : 1);
  }
}
