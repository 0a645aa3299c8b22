import type { Conversation, HistoryQuery, OutboundMessage } from '../../domain/message.js';
import type { GroupRecord, Member, Page, UserData } from '../../domain/migration/records.js';
import type { AdapterFailure } from '../adapter-error.js';
import type { AdapterHealth } from '../messaging-adapter.js';
import type { ImportResult } from '../migration-side.js';
import type { RelayStatus } from './rtm-channel-relay.js';

/** What the main thread hands the worker at spawn (`workerData`). Holds the token: never log it. */
export interface AgoraRtmWorkerData {
  appId: string;
  userId: string;
  token: string;
  timeoutMs: number;
  /** Absolute path of a module exporting `createRtmClient`, used instead of the SDK (tests). */
  clientModule?: string;
  /** Calls per second the migration makes on this client at most; the SDK's 20 when unset. */
  migrationCallsPerSecond?: number;
  /** Group channels whose client-published messages are relayed to the bridge (subscribed at start). */
  relayChannels?: string[];
}

/** Every operation the worker answers, with its arguments and result. */
export interface WorkerOps {
  sendToUser: { args: [message: OutboundMessage]; result: void };
  sendToChannel: { args: [message: OutboundMessage]; result: void };
  history: { args: [query: HistoryQuery]; result: OutboundMessage[] };
  health: { args: []; result: AdapterHealth };
  relayStatus: { args: []; result: RelayStatus };
  close: { args: []; result: void };
  migrationImport: { args: [conversation: Conversation, messages: OutboundMessage[]]; result: ImportResult };
  migrationHistory: {
    args: [conversation: Conversation, after: string | undefined, limit: number];
    result: Page<OutboundMessage>;
  };
  migrationPutUserData: { args: [data: UserData]; result: void };
  migrationUserData: { args: [userId: string]; result: UserData | null };
  migrationPutGroup: { args: [group: GroupRecord]; result: void };
  migrationGroup: { args: [groupId: string]; result: GroupRecord | null };
  migrationPutMembers: { args: [groupId: string, members: Member[]]; result: void };
  migrationRemoveMembers: { args: [groupId: string, userIds: string[]]; result: void };
  migrationMembers: { args: [groupId: string, after: string | undefined, limit: number]; result: Page<Member> };
}

export type WorkerOp = keyof WorkerOps;

/** The operations of the migration, which run longer than a live call (they queue for the rate window). */
export type MigrationOp = Extract<WorkerOp, `migration${string}`>;

export type WorkerRequest = {
  [K in WorkerOp]: { id: number; op: K; args: WorkerOps[K]['args'] };
}[WorkerOp];

/** An AdapterError flattened for postMessage (structured clone drops the class). */
export interface WorkerFailure {
  failure: AdapterFailure;
  message: string;
  vendorCode?: string | number;
}

export type WorkerResponse =
  | { type: 'response'; id: number; ok: true; result: WorkerOps[WorkerOp]['result'] }
  | { type: 'response'; id: number; ok: false; error: WorkerFailure };

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

/** A log line from the worker: `sdk` is the SDK's own console, `adapter` is ours. */
export interface WorkerLog {
  type: 'log';
  source: 'sdk' | 'adapter';
  level: LogLevel;
  text: string;
}

/** Sent once the client exists; requests posted before are answered after it. */
export interface WorkerReady {
  type: 'ready';
}

/** A message a client app published in a relayed channel, for the bridge. */
export interface WorkerRelayed {
  type: 'relayed';
  message: OutboundMessage;
}

export type WorkerToMain = WorkerReady | WorkerResponse | WorkerLog | WorkerRelayed;
