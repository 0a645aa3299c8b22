import type { MigrationReader } from '../../adapters/migration-side.js';
import type { Conversation, OutboundMessage } from '../../domain/message.js';
import { compareGroup, compareMembers, compareUserData } from '../../domain/migration/compare-records.js';
import { DigestBuilder, contentOf, sameDigest, type MessageDigest } from '../../domain/migration/digest.js';
import { repairable, type Mismatch } from '../../domain/migration/mismatch.js';
import type { Member } from '../../domain/migration/records.js';
import { describeUnit, usersOf } from '../../domain/migration/units.js';
import type { SideCaller } from './side-caller.js';
import { chunks, pages, type UnitContext, type UnitOutcome } from './unit-context.js';

/** Message mismatches one conversation reports item by item; past it, the counters still count them all. */
const MISMATCHES_PER_UNIT = 1000;
const MEMBERS_PER_CALL = 1000;

/**
 * Compares one unit on both sides and, with `redrive`, writes old's version of whatever differs
 * and compares again, so a mismatch is reported `fixed` only once a second read agrees.
 * Conversations compare a count and order-independent digests first, streaming (memory stays
 * flat); only a conversation that differs is read again and held in memory to name each message.
 */
export async function verifyUnit(context: UnitContext): Promise<UnitOutcome> {
  const { unit } = context.lease;
  switch (unit.kind) {
    case 'user':
      return verifyUser(context, unit.userId);
    case 'group':
      return verifyGroup(context, unit.groupId);
    case 'conversation':
      return verifyConversation(context, unit.conversation);
  }
}

function place(context: UnitContext): { unit: string; where: string } {
  return { unit: context.lease.key, where: describeUnit(context.lease.unit) };
}

async function verifyUser(context: UnitContext, userId: string): Promise<UnitOutcome> {
  const { source, target, old, fresh, job, telemetry } = context;
  const [before, after] = await Promise.all([old.call(() => source.userData(userId)), fresh.call(() => target.userData(userId))]);
  if (before === null) {
    telemetry.migrationItems(job.mode, 'user', 'missing', 1);
    return finish(context, { 'done.user': 1, 'missing.user': 1 }, [], []);
  }
  let found = compareUserData(place(context), before, after);
  if (found.length > 0 && job.redrive) {
    await fresh.call(() => target.putUserData(before));
    const again = compareUserData(place(context), before, await fresh.call(() => target.userData(userId)));
    found = markFixed(found, again);
  }
  telemetry.migrationItems(job.mode, 'user', 'verified', 1);
  const open = found.some((m) => !m.fixed);
  return finish(context, { 'done.user': 1 }, found, open ? [] : [userId], open ? [userId] : []);
}

async function verifyGroup(context: UnitContext, groupId: string): Promise<UnitOutcome> {
  const { source, target, old, fresh, job, telemetry, pageSize } = context;
  const before = await old.call(() => source.group(groupId));
  if (before === null) {
    telemetry.migrationItems(job.mode, 'group', 'missing', 1);
    return finish(context, { 'done.group': 1, 'missing.group': 1 }, [], []);
  }
  const oldMembers = await allMembers(old, source, groupId, pageSize);
  const compare = async (): Promise<Mismatch[]> => [
    ...compareGroup(place(context), before, await fresh.call(() => target.group(groupId))),
    ...compareMembers(place(context), oldMembers, await allMembers(fresh, target, groupId, pageSize)),
  ];
  let found = await compare();
  if (found.length > 0 && job.redrive) {
    await fresh.call(() => target.putGroup(before));
    const wanted = found.filter((m) => m.kind === 'member' && m.old !== null).map((m) => m.old as Member);
    const extra = found.filter((m) => m.kind === 'member' && m.old === null).map((m) => m.item as string);
    for (const chunk of chunks(wanted, MEMBERS_PER_CALL)) await fresh.call(() => target.putMembers(groupId, chunk));
    for (const chunk of chunks(extra, MEMBERS_PER_CALL)) await fresh.call(() => target.removeMembers(groupId, chunk));
    found = markFixed(found, await compare());
  }
  telemetry.migrationItems(job.mode, 'member', 'verified', oldMembers.length);
  telemetry.migrationItems(job.mode, 'group', 'verified', 1);
  // A group that still differs holds back every member: their view of it on new is not old's.
  const held = found.some((m) => !m.fixed) ? oldMembers.map((m) => m.userId) : [];
  return finish(context, { 'done.group': 1, 'members.verified': oldMembers.length }, found, [], held);
}

async function verifyConversation(context: UnitContext, conversation: Conversation): Promise<UnitOutcome> {
  const { source, target, old, fresh, job, telemetry, pageSize } = context;
  const settled = (message: OutboundMessage): boolean => message.sentAt < job.settledBefore;
  const [before, after] = await Promise.all([
    digestOf(old, source, conversation, pageSize, settled, context),
    digestOf(fresh, target, conversation, pageSize, settled, context),
  ]);
  if (before === undefined || after === undefined) return 'stopped';
  telemetry.migrationItems(job.mode, 'message', 'verified', before.count);
  const counts = { 'done.conversation': 1, 'messages.verified': before.count };
  if (sameDigest(before, after)) return finish(context, counts, [], []);

  const oldMessages = await collect(old, source, conversation, pageSize, settled);
  let found = compareMessages(context, oldMessages, await collect(fresh, target, conversation, pageSize, settled));
  if (job.redrive) {
    const missing = found.filter((m) => m.kind === 'message_missing_on_new').map((m) => oldMessages.get(m.item as string) as OutboundMessage);
    for (const chunk of chunks(missing, Math.max(1, target.limits.messagesPerCall))) context.imported(conversation, chunk, await fresh.call(() => target.importMessages(conversation, chunk)));
    if (missing.length > 0) found = markFixed(found, compareMessages(context, oldMessages, await collect(fresh, target, conversation, pageSize, settled)));
  }
  const open = found.some((m) => !m.fixed);
  return finish(context, counts, found, [], open ? usersOf(context.lease.unit) : []);
}

/** The digest of one side's settled messages of a conversation, or undefined when told to stop midway. */
async function digestOf(caller: SideCaller, side: MigrationReader, conversation: Conversation, pageSize: number, settled: (m: OutboundMessage) => boolean, context: UnitContext): Promise<MessageDigest | undefined> {
  const digest = new DigestBuilder();
  // Sides answer each id once over all pages (the port's promise), so nothing is kept per message.
  for await (const page of pages(caller, (after) => side.history(conversation, after, pageSize))) {
    for (const message of page.items) if (settled(message)) digest.add(message);
    if (page.next !== null && context.stopping()) return undefined;
  }
  return digest.digest();
}

async function collect(caller: SideCaller, side: MigrationReader, conversation: Conversation, pageSize: number, settled: (m: OutboundMessage) => boolean): Promise<Map<string, OutboundMessage>> {
  const byId = new Map<string, OutboundMessage>();
  for await (const page of pages(caller, (after) => side.history(conversation, after, pageSize))) {
    for (const message of page.items) if (settled(message) && !byId.has(message.id)) byId.set(message.id, message);
  }
  return byId;
}

function compareMessages(context: UnitContext, old: Map<string, OutboundMessage>, fresh: Map<string, OutboundMessage>): Mismatch[] {
  const where = place(context);
  const found: Mismatch[] = [];
  const push = (m: Mismatch): void => {
    if (found.length < MISMATCHES_PER_UNIT) found.push(m);
  };
  for (const [id, message] of old) {
    const other = fresh.get(id);
    if (other === undefined) push({ ...where, kind: 'message_missing_on_new', item: id, old: summary(message), new: null });
    else if (contentOf(other) !== contentOf(message)) push({ ...where, kind: 'message_content', item: id, old: summary(message), new: summary(other) });
  }
  for (const [id, message] of fresh) if (!old.has(id)) push({ ...where, kind: 'message_missing_on_old', item: id, old: null, new: summary(message) });
  return found;
}

/** What a report shows of a message: enough to find it, not its whole payload. */
function summary(message: OutboundMessage): Record<string, unknown> {
  return { from: message.from, to: message.to, sentAt: message.sentAt, payload: message.payload.length > 80 ? `${message.payload.slice(0, 80)}…` : message.payload };
}

/** Each earlier mismatch is fixed unless the second comparison still finds it (by kind and item). */
function markFixed(found: Mismatch[], again: Mismatch[]): Mismatch[] {
  const still = new Set(again.map((m) => `${m.kind}\u0000${m.item ?? ''}`));
  return found.map((m) => ({ ...m, fixed: repairable(m.kind) && !still.has(`${m.kind}\u0000${m.item ?? ''}`) }));
}

async function allMembers(caller: SideCaller, side: MigrationReader, groupId: string, pageSize: number): Promise<Member[]> {
  const members: Member[] = [];
  for await (const page of pages(caller, (after) => side.members(groupId, after, pageSize))) members.push(...page.items);
  return members;
}

async function finish(context: UnitContext, counts: Parameters<UnitContext['checkpoint']>[1], mismatches: Mismatch[], verifiedUsers: string[], heldUsers: string[] = []): Promise<UnitOutcome> {
  for (const kind of new Set(mismatches.map((m) => m.kind))) {
    const ofKind = mismatches.filter((m) => m.kind === kind);
    context.telemetry.migrationMismatches(kind, ofKind.length, ofKind.filter((m) => m.fixed).length);
  }
  return (await context.complete({ counts, mismatches, verifiedUsers, heldUsers })) ? 'completed' : 'lost';
}
