import type { Conversation, OutboundMessage } from '../domain/message.js';
import type { Block, Contact, ConversationSummary, GroupRecord, Member, Page, ReadPosition, Settings, UserData, UserProfile } from '../domain/migration/records.js';
import { AdapterError } from './adapter-error.js';
import { LegacyHttpClient, discard, pathSegment, type HttpLegacyConfig, type ReadBody } from './http-legacy-client.js';
import type { AdapterHealth } from './messaging-adapter.js';
import type { ImportResult, MigrationWriter, SideLimits } from './migration-side.js';

/** The contract's largest page and import batch. */
const MAX_BATCH = 1000;
/** The contract's import body limit: a batch over it is split, not refused (long payloads). */
const MAX_IMPORT_BYTES = 8 * 1024 * 1024;

/**
 * A legacy REST IM server as a migration side (docs/legacy-rest-contract.md, "Export" and "Import"):
 * read through the export routes, written through the import routes. Every call goes through the
 * same client as live traffic, so it is retried and classified alike; every write is idempotent.
 */
export class HttpLegacyMigrationSide implements MigrationWriter {
  readonly kind = 'http-legacy';
  readonly limits: SideLimits = { messagesPerCall: MAX_BATCH };
  private readonly client: LegacyHttpClient;
  private readonly basePath: string;

  constructor(config: HttpLegacyConfig, random: () => number = Math.random) {
    this.client = new LegacyHttpClient(config, random);
    this.basePath = this.client.basePath;
  }

  // ---- reads

  users(after: string | undefined, limit: number): Promise<Page<UserProfile>> {
    return this.page('/v1/users', after, limit);
  }

  async userData(userId: string): Promise<UserData | null> {
    const path = `/v1/users/${pathSegment(userId)}`;
    const profile = await orNull(this.get(path, readObject<UserProfile>));
    if (profile === null) return null;
    const [contacts, blocklist, settings, readPositions] = await Promise.all([
      this.everything<Contact>(`${path}/contacts`),
      this.everything<Block>(`${path}/blocklist`),
      this.get(`${path}/settings`, readObject<Settings>),
      this.everything<ReadPosition>(`${path}/read-positions`),
    ]);
    return { profile, contacts, blocklist, settings, readPositions };
  }

  groups(after: string | undefined, limit: number): Promise<Page<GroupRecord>> {
    return this.page('/v1/groups', after, limit);
  }

  group(groupId: string): Promise<GroupRecord | null> {
    return orNull(this.get(`/v1/groups/${pathSegment(groupId)}`, readObject<GroupRecord>));
  }

  members(groupId: string, after: string | undefined, limit: number): Promise<Page<Member>> {
    return this.page(`/v1/groups/${pathSegment(groupId)}/members`, after, limit);
  }

  conversations(after: string | undefined, limit: number): Promise<Page<ConversationSummary>> {
    return this.page('/v1/conversations', after, limit);
  }

  async history(conversation: Conversation, after: string | undefined, limit: number): Promise<Page<OutboundMessage>> {
    const path =
      conversation.type === 'channel'
        ? `/v1/conversations/channel/${pathSegment(conversation.id)}/messages`
        : `/v1/conversations/user/${pathSegment(conversation.a)}/${pathSegment(conversation.b)}/messages`;
    return this.get(`${path}?after=${after === undefined ? 'start' : encodeURIComponent(after)}&limit=${pageLimit(limit)}`, readHistoryPage);
  }

  // ---- writes

  async importMessages(conversation: Conversation, messages: OutboundMessage[]): Promise<ImportResult> {
    if (messages.length === 0) return { created: 0, existing: 0 };
    const body = JSON.stringify({ messages });
    if (messages.length > MAX_BATCH || (messages.length > 1 && Buffer.byteLength(body) > MAX_IMPORT_BYTES)) {
      const half = Math.ceil(messages.length / 2);
      const first = await this.importMessages(conversation, messages.slice(0, half));
      const second = await this.importMessages(conversation, messages.slice(half));
      return { created: first.created + second.created, existing: first.existing + second.existing };
    }
    return this.client.request('POST', `${this.basePath}/v1/import/messages`, body, readImportResult);
  }

  async heldMessages(_conversation: Conversation, ids: string[]): Promise<Set<string>> {
    const held = new Set<string>();
    for (let i = 0; i < ids.length; i += MAX_BATCH) {
      const body = JSON.stringify({ ids: ids.slice(i, i + MAX_BATCH) });
      const reply = await this.client.request('POST', `${this.basePath}/v1/import/messages/held`, body, readHeld);
      for (const id of reply) held.add(id);
    }
    return held;
  }

  putUserData(data: UserData): Promise<void> {
    return this.client.request('PUT', `${this.basePath}/v1/import/users/${pathSegment(data.profile.id)}`, JSON.stringify(data), discard);
  }

  putGroup(group: GroupRecord): Promise<void> {
    return this.client.request('PUT', `${this.basePath}/v1/groups/${pathSegment(group.id)}`, JSON.stringify(group), discard);
  }

  async putMembers(groupId: string, members: Member[]): Promise<void> {
    const path = `${this.basePath}/v1/groups/${pathSegment(groupId)}/members`;
    for (let i = 0; i < members.length; i += MAX_BATCH) {
      await this.client.request('POST', path, JSON.stringify({ members: members.slice(i, i + MAX_BATCH) }), discard);
    }
  }

  async removeMembers(groupId: string, userIds: string[]): Promise<void> {
    const path = `${this.basePath}/v1/groups/${pathSegment(groupId)}/members/remove`;
    for (let i = 0; i < userIds.length; i += MAX_BATCH) {
      await this.client.request('POST', path, JSON.stringify({ userIds: userIds.slice(i, i + MAX_BATCH) }), discard);
    }
  }

  // ---- lifecycle

  /** One short attempt at GET /health; never throws. */
  health(): Promise<AdapterHealth> {
    return this.client.health();
  }

  /** Waits for calls in flight, then closes every connection. Safe to call twice. */
  close(): Promise<void> {
    return this.client.close();
  }

  private get<T>(pathAndQuery: string, read: ReadBody<T>): Promise<T> {
    return this.client.request('GET', this.basePath + pathAndQuery, undefined, read);
  }

  private async page<T>(path: string, after: string | undefined, limit: number): Promise<Page<T>> {
    const query = after === undefined ? `?limit=${pageLimit(limit)}` : `?limit=${pageLimit(limit)}&after=${encodeURIComponent(after)}`;
    return this.get(path + query, readPage as ReadBody<Page<T>>);
  }

  /** Every item of one list, page after page. */
  private async everything<T>(path: string): Promise<T[]> {
    const items: T[] = [];
    let after: string | undefined;
    do {
      const page: Page<T> = await this.page<T>(path, after, MAX_BATCH);
      items.push(...page.items);
      after = page.next ?? undefined;
    } while (after !== undefined);
    return items;
  }
}

/** What the caller asks, at most the contract's largest page (a page may hold fewer than asked). */
function pageLimit(limit: number): number {
  if (!Number.isInteger(limit) || limit < 1) throw new RangeError(`page limit must be an integer >= 1, got ${limit}`);
  return Math.min(limit, MAX_BATCH);
}

/** A user or group the server does not know is null; every other failure stays thrown. */
async function orNull<T>(call: Promise<T>): Promise<T | null> {
  try {
    return await call;
  } catch (err) {
    if (err instanceof AdapterError && err.failure === 'rejected' && err.vendorCode === 404) return null;
    throw err;
  }
}

// A 2xx that is not the contract's shape is the server's trouble (vendor_error, retried); items are not checked one by one.

async function readObject<T>(body: Parameters<ReadBody<T>>[0]): Promise<T> {
  const reply = (await body.json()) as unknown;
  if (typeof reply !== 'object' || reply === null || Array.isArray(reply)) throw new AdapterError('vendor_error', 'reply is not a JSON object');
  return reply as T;
}

const readPage: ReadBody<Page<unknown>> = async (body) => {
  const reply = (await body.json()) as { items?: unknown; next?: unknown };
  if (!Array.isArray(reply.items) || !(reply.next === null || typeof reply.next === 'string')) {
    throw new AdapterError('vendor_error', 'page reply has no items array or no next cursor');
  }
  return { items: reply.items, next: reply.next };
};

const readHistoryPage: ReadBody<Page<OutboundMessage>> = async (body) => {
  const reply = (await body.json()) as { messages?: unknown; next?: unknown };
  if (!Array.isArray(reply.messages) || !(reply.next === null || typeof reply.next === 'string')) {
    throw new AdapterError('vendor_error', 'history reply has no messages array or no next cursor');
  }
  return { items: reply.messages as OutboundMessage[], next: reply.next };
};

const readImportResult: ReadBody<ImportResult> = async (body) => {
  const reply = (await body.json()) as { created?: unknown; existing?: unknown };
  if (!Number.isInteger(reply.created) || !Number.isInteger(reply.existing)) throw new AdapterError('vendor_error', 'import reply has no created and existing counts');
  return { created: reply.created as number, existing: reply.existing as number };
};

const readHeld: ReadBody<string[]> = async (body) => {
  const reply = (await body.json()) as { held?: unknown };
  if (!Array.isArray(reply.held) || !reply.held.every((id) => typeof id === 'string')) throw new AdapterError('vendor_error', 'held reply has no held id list');
  return reply.held as string[];
};
