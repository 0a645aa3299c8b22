import type { SideLimits } from '../migration-side.js';
import { BATCH_MAX_BYTES } from './rtm-batch.js';
import { encodeEnvelope } from './rtm-envelope.js';
import { shardsFor } from './rtm-layout.js';
import { ITEMS_PER_CALL } from './rtm-records.js';

/**
 * What a migration into Agora RTM costs in SDK calls, and how long the per-client limits make it
 * last. Pure: the worked example of docs/agora-mapping.md is this function's answer.
 */

/** The SDK lets a client start 20 calls of a kind per second (60 publishes); the docs say 20 API calls. */
export const MIGRATION_CALLS_PER_SECOND = 20;
/** Messages the job hands one import call; at typical chat sizes they are one 32 KB batch. */
export const MESSAGES_PER_IMPORT_CALL = 100;
/** Ids the estimate assumes: a UUID message id and 16-character user and channel ids. */
const TYPICAL_MESSAGE_ID_BYTES = 36;
const TYPICAL_ID_BYTES = 16;
const BATCH_FRAME_BYTES = '{"cutover":"batch","messages":[]}'.length;
/** A user's data in one get and one set call when it fits one 16 KB request, as most do. */
const CALLS_PER_USER = 2;
/** The group's meta item: one get (to keep its shard count) and one set. */
const CALLS_PER_GROUP = 2;
/** Member pages the verification reads (the job's member page), and message pages. */
const VERIFY_MEMBER_PAGE = 1000;
const VERIFY_HISTORY_PAGE = 100;

export function agoraSideLimits(callsPerSecond = MIGRATION_CALLS_PER_SECOND): SideLimits {
  // No per-app cap is documented for SDK calls (500/s is the REST API's): appCallsPerSecond stays unset.
  return { writeCallsPerSecond: callsPerSecond, messagesPerCall: MESSAGES_PER_IMPORT_CALL };
}

export interface ImportVolume {
  messages: number;
  averagePayloadBytes: number;
  /** Conversations holding those messages, assumed equally full. */
  conversations: number;
  users: number;
  groups: number;
  /** Members over all groups, assumed equally spread. */
  members: number;
  /** Gateways running the job: each logs in as its own RTM user, with its own limits. */
  instances: number;
  /** Per client; the SDK's figure unless Agora raised it for the project. */
  callsPerSecond?: number;
  /** A cap over all instances, when Agora sets one for the project. */
  appCallsPerSecond?: number;
}

export interface ImportEstimate {
  envelopeBytes: number;
  messagesPerPublish: number;
  importCalls: number;
  publishes: number;
  /** Reads before each import call (the first reads the empty channel back, the rest what is new). */
  historyReads: number;
  userCalls: number;
  groupCalls: number;
  memberShardsPerGroup: number;
  memberCalls: number;
  copyCalls: number;
  verifyCalls: number;
  fleetCallsPerSecond: number;
  copySeconds: number;
  verifySeconds: number;
}

/** Bytes of one envelope (and its comma) in a batch, for a payload of `payloadBytes` ASCII characters. */
export function envelopeBytes(payloadBytes: number): number {
  const wire = encodeEnvelope({
    id: 'i'.repeat(TYPICAL_MESSAGE_ID_BYTES),
    from: 'u'.repeat(TYPICAL_ID_BYTES),
    to: { type: 'channel', id: 'c'.repeat(TYPICAL_ID_BYTES) },
    payload: 'p'.repeat(Math.max(0, Math.round(payloadBytes))),
    sentAt: 1_700_000_000_000,
  });
  return Buffer.byteLength(wire, 'utf8') + 1;
}

export function estimateImport(volume: ImportVolume): ImportEstimate {
  const perClient = volume.callsPerSecond ?? MIGRATION_CALLS_PER_SECOND;
  const conversations = volume.messages > 0 ? Math.max(1, volume.conversations) : 0;
  const envelope = envelopeBytes(volume.averagePayloadBytes);
  const messagesPerPublish = Math.max(1, Math.min(MESSAGES_PER_IMPORT_CALL, Math.floor((BATCH_MAX_BYTES - BATCH_FRAME_BYTES) / envelope)));

  const perConversation = conversations > 0 ? Math.ceil(volume.messages / conversations) : 0;
  const callsPerConversation = Math.ceil(perConversation / MESSAGES_PER_IMPORT_CALL);
  const lastCall = perConversation - (callsPerConversation - 1) * MESSAGES_PER_IMPORT_CALL;
  const publishesPerConversation =
    callsPerConversation === 0
      ? 0
      : (callsPerConversation - 1) * Math.ceil(MESSAGES_PER_IMPORT_CALL / messagesPerPublish) + Math.ceil(lastCall / messagesPerPublish);
  const importCalls = conversations * callsPerConversation;
  const publishes = conversations * publishesPerConversation;
  const historyReads = importCalls;

  const userCalls = volume.users * CALLS_PER_USER;
  const groupCalls = volume.groups * CALLS_PER_GROUP;
  const perGroup = volume.groups > 0 ? Math.ceil(volume.members / volume.groups) : 0;
  const shards = shardsFor(perGroup);
  const perShard = Math.ceil(perGroup / shards);
  const memberCalls = volume.groups * shards * Math.ceil(perShard / ITEMS_PER_CALL);

  const copyCalls = publishes + historyReads + userCalls + groupCalls + memberCalls;
  const verifyCalls =
    volume.users +
    volume.groups * (1 + shards * Math.max(1, Math.ceil(perShard / VERIFY_MEMBER_PAGE))) +
    conversations * Math.ceil(perConversation / VERIFY_HISTORY_PAGE);

  const fleet = Math.min(Math.max(1, volume.instances) * perClient, volume.appCallsPerSecond ?? Number.POSITIVE_INFINITY);
  return {
    envelopeBytes: envelope,
    messagesPerPublish,
    importCalls,
    publishes,
    historyReads,
    userCalls,
    groupCalls,
    memberShardsPerGroup: shards,
    memberCalls,
    copyCalls,
    verifyCalls,
    fleetCallsPerSecond: fleet,
    copySeconds: copyCalls / fleet,
    verifySeconds: verifyCalls / fleet,
  };
}
