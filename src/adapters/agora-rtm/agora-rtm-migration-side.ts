import type { Conversation, OutboundMessage } from '../../domain/message.js';
import type { ConversationSummary, GroupRecord, Member, Page, UserData, UserProfile } from '../../domain/migration/records.js';
import { noListing } from './rtm-records.js';
import type { ImportResult, MigrationWriter, SideLimits } from '../migration-side.js';
import { agoraSideLimits } from './import-estimate.js';
import type { MigrationOp, WorkerOps } from './worker-protocol.js';

/** A call into the adapter's worker (its own restart, back-off and timeouts apply). */
export type MigrationCall = <K extends MigrationOp>(op: K, ...args: WorkerOps[K]['args']) => Promise<WorkerOps[K]['result']>;

/**
 * The migration's writer on the main thread: every operation runs in the worker of the
 * AgoraRtmAdapter it came from (`AgoraRtmAdapter.migrationSide()`), where `RtmMigration` does
 * the work on the one RTM client and keeps it under the SDK's per-client rate.
 */
export class AgoraRtmMigrationSide implements MigrationWriter {
  readonly kind = 'agora-rtm';
  readonly limits: SideLimits;

  constructor(
    private readonly call: MigrationCall,
    callsPerSecond?: number,
  ) {
    this.limits = agoraSideLimits(callsPerSecond);
  }

  users(_after: string | undefined, _limit: number): Promise<Page<UserProfile>> {
    return noListing();
  }

  groups(_after: string | undefined, _limit: number): Promise<Page<GroupRecord>> {
    return noListing();
  }

  conversations(_after: string | undefined, _limit: number): Promise<Page<ConversationSummary>> {
    return noListing();
  }

  importMessages(conversation: Conversation, messages: OutboundMessage[]): Promise<ImportResult> {
    return this.call('migrationImport', conversation, messages);
  }

  history(conversation: Conversation, after: string | undefined, limit: number): Promise<Page<OutboundMessage>> {
    return this.call('migrationHistory', conversation, after, limit);
  }

  putUserData(data: UserData): Promise<void> {
    return this.call('migrationPutUserData', data);
  }

  userData(userId: string): Promise<UserData | null> {
    return this.call('migrationUserData', userId);
  }

  putGroup(group: GroupRecord): Promise<void> {
    return this.call('migrationPutGroup', group);
  }

  group(groupId: string): Promise<GroupRecord | null> {
    return this.call('migrationGroup', groupId);
  }

  putMembers(groupId: string, members: Member[]): Promise<void> {
    return this.call('migrationPutMembers', groupId, members);
  }

  removeMembers(groupId: string, userIds: string[]): Promise<void> {
    return this.call('migrationRemoveMembers', groupId, userIds);
  }

  members(groupId: string, after: string | undefined, limit: number): Promise<Page<Member>> {
    return this.call('migrationMembers', groupId, after, limit);
  }
}
