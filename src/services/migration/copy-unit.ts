import type { ImportResult } from '../../adapters/migration-side.js';
import type { Conversation, OutboundMessage } from '../../domain/message.js';
import type { Unit } from '../../domain/migration/units.js';
import { NO_RESULT, chunks, pages, type UnitContext, type UnitOutcome } from './unit-context.js';
import type { Counters } from '../../domain/migration/job.js';

/** Members written to the new side per call (the import contract's batch limit). */
const MEMBERS_PER_CALL = 1000;

/**
 * Copies one unit from old to new, page by page from its checkpoint: each page is written, then
 * checkpointed, so a holder that dies repeats at most one page, which the new side keeps once
 * (imports are idempotent by id, puts replace).
 */
export async function copyUnit(context: UnitContext): Promise<UnitOutcome> {
  const unit: Unit = context.lease.unit;
  switch (unit.kind) {
    case 'user':
      return copyUser(context, unit.userId);
    case 'group':
      return copyGroup(context, unit.groupId);
    case 'conversation':
      return copyConversation(context, unit.conversation);
  }
}

/** Of `messages`, those the new side holds already (none known when it cannot say). */
async function heldOf(context: UnitContext, conversation: Conversation, messages: readonly OutboundMessage[]): Promise<Set<string>> {
  const { target, fresh } = context;
  const held = new Set<string>();
  if (target.heldMessages === undefined) return held;
  for (const chunk of chunks(messages, Math.max(1, target.limits.messagesPerCall))) {
    for (const id of await fresh.call(() => target.heldMessages!(conversation, chunk.map((m) => m.id)))) held.add(id);
  }
  return held;
}

/** A retried import after a failure that may have landed: only what the side does not hold yet goes again. */
async function importRest(context: UnitContext, conversation: Conversation, chunk: OutboundMessage[]): Promise<ImportResult> {
  const held = await heldOf(context, conversation, chunk);
  const rest = chunk.filter((m) => !held.has(m.id));
  const result = rest.length > 0 ? await context.target.importMessages(conversation, rest) : { created: 0, existing: 0 };
  return { ...result, existing: result.existing + held.size };
}

async function copyUser(context: UnitContext, userId: string): Promise<UnitOutcome> {
  const { source, target, old, fresh, telemetry, job } = context;
  const data = await old.call(() => source.userData(userId));
  if (data === null) {
    telemetry.migrationItems(job.mode, 'user', 'missing', 1);
    return finish(context, { 'done.user': 1, 'missing.user': 1 });
  }
  await fresh.call(() => target.putUserData(data));
  telemetry.migrationItems(job.mode, 'user', 'written', 1);
  return finish(context, { 'done.user': 1 });
}

async function copyGroup(context: UnitContext, groupId: string): Promise<UnitOutcome> {
  const { source, target, old, fresh, telemetry, job, pageSize } = context;
  const group = await old.call(() => source.group(groupId));
  if (group === null) {
    telemetry.migrationItems(job.mode, 'group', 'missing', 1);
    return finish(context, { 'done.group': 1, 'missing.group': 1 });
  }
  // Again on a resumed unit: a put replaces, and the record may have changed meanwhile.
  await fresh.call(() => target.putGroup(group));
  for await (const page of pages(old, (after) => source.members(groupId, after, pageSize), context.lease.checkpoint)) {
    for (const chunk of chunks(page.items, MEMBERS_PER_CALL)) await fresh.call(() => target.putMembers(groupId, chunk));
    telemetry.migrationItems(job.mode, 'member', 'written', page.items.length);
    if (!(await context.checkpoint(page.next, { 'members.written': page.items.length }))) return 'lost';
    if (page.next !== null && context.stopping()) return 'stopped';
  }
  telemetry.migrationItems(job.mode, 'group', 'written', 1);
  return finish(context, { 'done.group': 1 });
}

async function copyConversation(context: UnitContext, conversation: Conversation): Promise<UnitOutcome> {
  const { source, target, old, fresh, telemetry, job, pageSize } = context;
  const perCall = Math.max(1, target.limits.messagesPerCall);
  // Taken over: the stopped holder may have written the page after its checkpoint; skip what it did.
  let resumed = context.lease.takenOver;
  for await (const page of pages(old, (after) => source.history(conversation, after, pageSize), context.lease.checkpoint)) {
    let created = 0;
    let existing = 0;
    let items = page.items;
    if (resumed) {
      resumed = false;
      const held = await heldOf(context, conversation, items);
      items = items.filter((m) => !held.has(m.id));
      existing += held.size;
    }
    for (const chunk of chunks(items, perCall)) {
      const result = await fresh.call((attempt) => (attempt === 0 ? target.importMessages(conversation, chunk) : importRest(context, conversation, chunk)));
      context.imported(conversation, chunk, result);
      created += result.created;
      existing += result.existing;
    }
    telemetry.migrationItems(job.mode, 'message', 'created', created);
    telemetry.migrationItems(job.mode, 'message', 'existing', existing);
    if (!(await context.checkpoint(page.next, { 'messages.created': created, 'messages.existing': existing }))) return 'lost';
    if (page.next !== null && context.stopping()) return 'stopped';
  }
  telemetry.migrationItems(job.mode, 'conversation', 'written', 1);
  return finish(context, { 'done.conversation': 1 });
}

/** A copy finishes a unit with its counters only: it finds no mismatches and verifies nobody. */
async function finish(context: UnitContext, counts: Counters): Promise<UnitOutcome> {
  return (await context.complete({ ...NO_RESULT, counts })) ? 'completed' : 'lost';
}
