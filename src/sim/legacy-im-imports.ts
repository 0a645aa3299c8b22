import { closeSync, fsyncSync, ftruncateSync, openSync, readFileSync, writeSync } from 'node:fs';
import type { Block, Contact, GroupRecord, Member, Page, ReadPosition, UserData } from '../domain/migration/records.js';
import { BadCursorError, decodeCursor, encodeCursor } from './cursor.js';

/** One change to the imported records as journalled: replaying the journal in order rebuilds them. */
type ImportOp =
  | { op: 'user'; data: UserData }
  | { op: 'group'; group: GroupRecord }
  | { op: 'members'; groupId: string; members: Member[] }
  | { op: 'remove'; groupId: string; userIds: string[] };

export interface ImportsLoadResult {
  loaded: number;
  skipped: number;
}

interface ImportedUser {
  data: UserData;
  /** Bumped on every put: a cursor into the lists of a replaced user is refused, not misread. */
  revision: number;
}

/** The members imported into one group, in the order each was first added. */
class MemberSet {
  private readonly byUser = new Map<string, { seq: number; member: Member }>();
  /** Sorted by seq; entries of members removed since are skipped and compacted away now and then. */
  private order: Array<{ seq: number; userId: string }> = [];
  private nextSeq = 0;

  /** True when the member is new; an existing one keeps its place and takes the new role and time. */
  upsert(member: Member): boolean {
    const entry = this.byUser.get(member.userId);
    if (entry !== undefined) {
      entry.member = member;
      return false;
    }
    const seq = this.nextSeq++;
    this.byUser.set(member.userId, { seq, member });
    this.order.push({ seq, userId: member.userId });
    return true;
  }

  remove(userId: string): boolean {
    if (!this.byUser.delete(userId)) return false;
    if (this.order.length > 2 * this.byUser.size + 64) this.order = this.order.filter(({ seq, userId: id }) => this.byUser.get(id)?.seq === seq);
    return true;
  }

  /** Cursors hold the seq of the last member given, so removals and additions never shift a page. */
  page(after: string | undefined, limit: number): Page<Member> {
    const parts = decodeCursor(after, 'imported-members', ['number']);
    let i = 0;
    if (parts !== undefined) {
      const seq = parts[0] as number;
      let hi = this.order.length;
      while (i < hi) {
        const mid = (i + hi) >>> 1;
        if ((this.order[mid] as { seq: number }).seq <= seq) i = mid + 1;
        else hi = mid;
      }
    }
    const items: Member[] = [];
    let last = -1;
    for (; i < this.order.length; i++) {
      const { seq, userId } = this.order[i] as { seq: number; userId: string };
      const entry = this.byUser.get(userId);
      if (entry === undefined || entry.seq !== seq) continue;
      if (items.length === limit) break;
      items.push(entry.member);
      last = seq;
    }
    return { items, next: i < this.order.length ? encodeCursor(['imported-members', last]) : null };
  }
}

interface ImportedGroup {
  /** Undefined when only members were imported into a group of the generated past. */
  record: GroupRecord | undefined;
  members: MemberSet;
}

/**
 * Users and groups imported into the sim (docs/legacy-rest-contract.md, "Import"); imported messages
 * go to the LegacyImStore with the live ones. With a journal file every change is appended as one
 * JSON line before the caller answers and replayed at start, as the store does for messages.
 */
export class ImportedRecords {
  private readonly users = new Map<string, ImportedUser>();
  private readonly groups = new Map<string, ImportedGroup>();
  /** Ids in the order they were first put, which the listings keep. */
  private readonly userOrder: string[] = [];
  private readonly groupOrder: string[] = [];
  private revision = 0;
  private fd: number | undefined;

  static open(journalFile?: string): { imports: ImportedRecords; load: ImportsLoadResult } {
    const imports = new ImportedRecords();
    if (journalFile === undefined) return { imports, load: { loaded: 0, skipped: 0 } };
    const fd = openSync(journalFile, 'a+');
    const text = readFileSync(fd, 'utf8');
    if (text.length > 0 && !text.endsWith('\n')) writeSync(fd, '\n');
    const load = imports.replay(text);
    imports.fd = fd;
    return { imports, load };
  }

  // ---- users

  user(id: string): UserData | undefined {
    return this.users.get(id)?.data;
  }

  /** True when no user of that id was imported before. */
  putUser(data: UserData): boolean {
    this.journal({ op: 'user', data });
    const created = !this.users.has(data.profile.id);
    if (created) this.userOrder.push(data.profile.id);
    this.users.set(data.profile.id, { data, revision: ++this.revision });
    return created;
  }

  /** The imported user ids from position `start` (first-put order) that `keep` accepts. */
  userIdsFrom(start: number, limit: number, keep: (id: string) => boolean): { ids: string[]; next: number | undefined } {
    return idsFrom(this.userOrder, start, limit, keep);
  }

  contacts(id: string, after: string | undefined, limit: number): Page<Contact> {
    return this.userList(id, 'contacts', after, limit);
  }

  blocklist(id: string, after: string | undefined, limit: number): Page<Block> {
    return this.userList(id, 'blocklist', after, limit);
  }

  readPositions(id: string, after: string | undefined, limit: number): Page<ReadPosition> {
    return this.userList(id, 'readPositions', after, limit);
  }

  // ---- groups

  group(id: string): GroupRecord | undefined {
    return this.groups.get(id)?.record;
  }

  /** True when no group of that id was put before; its imported members stay. */
  putGroup(group: GroupRecord): boolean {
    this.journal({ op: 'group', group });
    const entry = this.groupEntry(group.id);
    const created = entry.record === undefined;
    if (created) this.groupOrder.push(group.id);
    entry.record = group;
    return created;
  }

  /** True once the group was put, or had members added or removed: its members are the imported ones. */
  hasMembers(groupId: string): boolean {
    return this.groups.has(groupId);
  }

  upsertMembers(groupId: string, members: readonly Member[]): { created: number; updated: number } {
    this.journal({ op: 'members', groupId, members: members as Member[] });
    const set = this.groupEntry(groupId).members;
    let created = 0;
    for (const member of members) if (set.upsert(member)) created++;
    return { created, updated: members.length - created };
  }

  removeMembers(groupId: string, userIds: readonly string[]): number {
    this.journal({ op: 'remove', groupId, userIds: userIds as string[] });
    const set = this.groupEntry(groupId).members;
    let removed = 0;
    for (const userId of userIds) if (set.remove(userId)) removed++;
    return removed;
  }

  members(groupId: string, after: string | undefined, limit: number): Page<Member> {
    const entry = this.groups.get(groupId);
    return entry === undefined ? { items: [], next: null } : entry.members.page(after, limit);
  }

  /** The put group ids from position `start` (first-put order) that `keep` accepts. */
  groupIdsFrom(start: number, limit: number, keep: (id: string) => boolean): { ids: string[]; next: number | undefined } {
    return idsFrom(this.groupOrder, start, limit, keep);
  }

  // ---- lifecycle

  /** Forgets everything, the journal too. */
  clear(): void {
    this.users.clear();
    this.groups.clear();
    this.userOrder.length = 0;
    this.groupOrder.length = 0;
    if (this.fd !== undefined) ftruncateSync(this.fd, 0);
  }

  close(): void {
    if (this.fd === undefined) return;
    const fd = this.fd;
    this.fd = undefined;
    fsyncSync(fd);
    closeSync(fd);
  }

  private groupEntry(groupId: string): ImportedGroup {
    let entry = this.groups.get(groupId);
    if (entry === undefined) {
      entry = { record: undefined, members: new MemberSet() };
      this.groups.set(groupId, entry);
    }
    return entry;
  }

  private userList<K extends 'contacts' | 'blocklist' | 'readPositions'>(id: string, list: K, after: string | undefined, limit: number): Page<UserData[K][number]> {
    const user = this.users.get(id);
    if (user === undefined) return { items: [], next: null };
    const kind = `imported-${list}`;
    const parts = decodeCursor(after, kind, ['number', 'number']);
    let start = 0;
    if (parts !== undefined) {
      if (parts[0] !== user.revision) throw new BadCursorError('cursor is from before the user was imported again');
      start = parts[1] as number;
    }
    const all = user.data[list] as ReadonlyArray<UserData[K][number]>;
    const end = Math.min(all.length, start + limit);
    return { items: all.slice(start, end), next: end < all.length ? encodeCursor([kind, user.revision, end]) : null };
  }

  private journal(op: ImportOp): void {
    if (this.fd !== undefined) writeSync(this.fd, JSON.stringify(op) + '\n');
  }

  private replay(text: string): ImportsLoadResult {
    let loaded = 0;
    let skipped = 0;
    for (const line of text.split('\n')) {
      if (line.length === 0) continue;
      try {
        const op = JSON.parse(line) as ImportOp;
        if (op.op === 'user') this.putUser(op.data);
        else if (op.op === 'group') this.putGroup(op.group);
        else if (op.op === 'members') this.upsertMembers(op.groupId, op.members);
        else if (op.op === 'remove') this.removeMembers(op.groupId, op.userIds);
        else throw new Error('unknown op');
        loaded++;
      } catch {
        // A torn last line (killed mid-write) or a foreign one.
        skipped++;
      }
    }
    return { loaded, skipped };
  }
}

function idsFrom(order: readonly string[], start: number, limit: number, keep: (id: string) => boolean): { ids: string[]; next: number | undefined } {
  const ids: string[] = [];
  let i = start;
  for (; i < order.length && ids.length < limit; i++) if (keep(order[i] as string)) ids.push(order[i] as string);
  // Moves onto the next id there is, so that the caller's `next` is null right at the end.
  while (i < order.length && !keep(order[i] as string)) i++;
  return { ids, next: i < order.length ? i : undefined };
}
