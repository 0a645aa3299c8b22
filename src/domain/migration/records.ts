import type { Conversation } from '../message.js';

/**
 * What a messaging system holds besides messages, as the legacy export API shapes it
 * (docs/legacy-rest-contract.md, "Export") and every migration side reads and writes it.
 */
export interface UserProfile {
  id: string;
  displayName: string;
  avatarUrl?: string;
  createdAt: number;
  profile: Record<string, string>;
}

export type ContactState = 'accepted' | 'pending_in' | 'pending_out';

export interface Contact {
  userId: string;
  state: ContactState;
  since: number;
}

export interface Block {
  userId: string;
  since: number;
}

export interface Mute {
  type: 'user' | 'channel';
  id: string;
  until: number | null;
}

export interface Settings {
  userId: string;
  notificationLevel: 'all' | 'mentions' | 'none';
  mutes: Mute[];
  custom: Record<string, string>;
}

export interface ReadPosition {
  type: 'user' | 'channel';
  id: string;
  lastReadMessageId: string;
  readAt: number;
}

/** Everything of one user but their messages; small enough to move in one write. */
export interface UserData {
  profile: UserProfile;
  contacts: Contact[];
  blocklist: Block[];
  settings: Settings;
  readPositions: ReadPosition[];
}

export interface GroupRecord {
  id: string;
  name: string;
  topic?: string;
  visibility: 'public' | 'private';
  createdAt: number;
  memberCount: number;
  ownerId: string;
}

export type MemberRole = 'owner' | 'admin' | 'member';

export interface Member {
  userId: string;
  role: MemberRole;
  joinedAt: number;
}

/** One conversation of the export listing: every conversation that holds a message, once. */
export type ConversationSummary = Conversation & { messageCount: number; lastActivityAt: number };

/** One page of a listing; `next` is handed back for the page after, null at the end. */
export interface Page<T> {
  items: T[];
  next: string | null;
}
