import type { Conversation } from '../message.js';

/**
 * The work of a migration comes in units that any instance may take: one user (profile, contacts,
 * blocklist, settings, read positions), one group (meta and members) or one conversation (its
 * history). A unit's key names it in the checkpoint store; equal keys are the same unit.
 */
export type Unit =
  | { kind: 'user'; userId: string }
  | { kind: 'group'; groupId: string }
  | { kind: 'conversation'; conversation: Conversation; messageCount: number };

export type UnitKind = Unit['kind'];

/** The listings the job walks, in this order; `done` once all three reached their end. */
export const LISTING_PHASES = ['user', 'group', 'conversation'] as const satisfies readonly UnitKind[];
export type ListingPhase = UnitKind | 'done';

export interface ListingPosition {
  phase: ListingPhase;
  /** The old side's cursor of the next page of this phase's listing; null = its first page. */
  cursor: string | null;
}

export const LISTING_START: ListingPosition = { phase: 'user', cursor: null };

/** The position after the page whose `next` is given: the same listing, or the next one's start. */
export function nextPosition(position: ListingPosition, next: string | null): ListingPosition {
  if (next !== null) return { phase: position.phase, cursor: next };
  const index = LISTING_PHASES.indexOf(position.phase as UnitKind);
  const phase = LISTING_PHASES[index + 1] ?? 'done';
  return { phase, cursor: null };
}

/** Length-prefixed, so that no two units share a key whatever characters their ids hold. */
export function unitKey(unit: Unit): string {
  switch (unit.kind) {
    case 'user':
      return `u:${unit.userId}`;
    case 'group':
      return `g:${unit.groupId}`;
    case 'conversation': {
      const c = unit.conversation;
      if (c.type === 'channel') return `c:${c.id}`;
      const [a, b] = c.a <= c.b ? [c.a, c.b] : [c.b, c.a];
      return `p:${a.length}:${a}${b}`;
    }
  }
}

/** A unit as the store keeps it (JSON), and back; undefined for anything else. */
export function encodeUnit(unit: Unit): string {
  return JSON.stringify(unit);
}

export function decodeUnit(text: string): Unit | undefined {
  try {
    const value = JSON.parse(text) as Partial<Unit> & Record<string, unknown>;
    if (value.kind === 'user' && typeof value.userId === 'string') return { kind: 'user', userId: value.userId };
    if (value.kind === 'group' && typeof value.groupId === 'string') return { kind: 'group', groupId: value.groupId };
    if (value.kind === 'conversation' && typeof value.conversation === 'object' && value.conversation !== null) {
      return { kind: 'conversation', conversation: value.conversation as Conversation, messageCount: Number(value.messageCount) || 0 };
    }
  } catch {
    // Not a unit: the caller reports it.
  }
  return undefined;
}

/** The users a unit concerns: whose verification a mismatch in it holds back. */
export function usersOf(unit: Unit): string[] {
  switch (unit.kind) {
    case 'user':
      return [unit.userId];
    case 'conversation':
      return unit.conversation.type === 'user' ? [...new Set([unit.conversation.a, unit.conversation.b])] : [];
    case 'group':
      return [];
  }
}

/** How a unit reads in a report: `user alice`, `group g-1`, `conversation alice↔bob`, `channel g-1`. */
export function describeUnit(unit: Unit): string {
  switch (unit.kind) {
    case 'user':
      return `user ${unit.userId}`;
    case 'group':
      return `group ${unit.groupId}`;
    case 'conversation':
      return unit.conversation.type === 'channel' ? `channel ${unit.conversation.id}` : `conversation ${unit.conversation.a}↔${unit.conversation.b}`;
  }
}
