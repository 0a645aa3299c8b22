import { createHash, type Hash } from 'node:crypto';
import { setImmediate as yieldToLoop } from 'node:timers/promises';
import { GENERATOR_VERSION, canonicalSpec, type Dataset, type GeneratedConversation, type Pool } from './dataset.js';
import { hash } from './random.js';
import type { DatasetSpec } from './dataset-spec.js';

export interface DatasetDescription {
  generator: string;
  /** Part of every generated message id (`lg-<tag>-…`). */
  tag: string;
  spec: DatasetSpec;
  totals: {
    users: number;
    groups: number;
    memberships: number;
    conversations: { user: number; channel: number; total: number };
    messages: { user: number; channel: number; total: number };
    largestConversation: number;
  };
  /**
   * SHA-256 of the generator version, the spec, and a fixed sample of rendered items (users with
   * their contacts, blocklist, settings and read positions; groups with members; conversations with
   * their first, middle and last messages): equal for two runs of the same data, in O(1) of its size.
   */
  digest: string;
}

const SAMPLES = 16;

/** Totals and a sampled digest, without walking the data: milliseconds for any size. */
export function describeDataset(dataset: Dataset): DatasetDescription {
  const { spec } = dataset;
  const sha = createHash('sha256').update(`${GENERATOR_VERSION}\n${canonicalSpec(spec)}\n`);
  for (const u of sampleIndices(dataset, 'users', spec.users)) digestUser(sha, dataset, u);
  for (const g of sampleIndices(dataset, 'groups', spec.groups)) {
    line(sha, dataset.group(g));
    const size = dataset.groupSize(g);
    for (const j of new Set([0, 1, size >> 1, size - 1])) line(sha, dataset.member(g, j));
  }
  for (const [pool, active] of [['p', dataset.peerConversations], ['c', dataset.channelConversations]] as const) {
    for (const rank of sampleIndices(dataset, pool, active)) {
      const conversation = dataset.conversationAtRank(pool, rank);
      line(sha, conversation.conversation);
      for (const i of new Set([0, conversation.count >> 1, conversation.count - 1])) line(sha, conversation.messageAt(i));
    }
  }
  const largest = Math.max(
    dataset.peerConversations > 0 ? dataset.conversationAtRank('p', 0).count : 0,
    dataset.channelConversations > 0 ? dataset.conversationAtRank('c', 0).count : 0,
  );
  return {
    generator: GENERATOR_VERSION,
    tag: dataset.tag,
    spec,
    totals: {
      users: spec.users,
      groups: spec.groups,
      memberships: dataset.memberships,
      conversations: { user: dataset.peerConversations, channel: dataset.channelConversations, total: dataset.peerConversations + dataset.channelConversations },
      messages: { user: dataset.peerMessages, channel: dataset.channelMessages, total: spec.messages },
      largestConversation: largest,
    },
    digest: sha.digest('hex'),
  };
}

export interface ContentDigest {
  /** SHA-256 over every rendered item in canonical order, one JSON line each. */
  contentDigest: string;
  items: { users: number; members: number; conversations: number; messages: number };
}

/**
 * A digest of every item of the generated past (not the live messages), streamed: memory stays flat
 * and the event loop gets a turn every `yieldEvery` items, but the time is linear in the size
 * (several seconds per million messages).
 */
export async function contentDigest(dataset: Dataset, yieldEvery = 20_000): Promise<ContentDigest> {
  const sha = createHash('sha256').update(`${GENERATOR_VERSION}\n${canonicalSpec(dataset.spec)}\n`);
  const items = { users: 0, members: 0, conversations: 0, messages: 0 };
  let budget = yieldEvery;
  const tick = async (): Promise<void> => {
    if (--budget > 0) return;
    budget = yieldEvery;
    await yieldToLoop();
  };
  for (let u = 0; u < dataset.spec.users; u++) {
    digestUser(sha, dataset, u);
    items.users++;
    await tick();
  }
  for (let g = 0; g < dataset.spec.groups; g++) {
    line(sha, dataset.group(g));
    for (let j = 0; j < dataset.groupSize(g); j++) {
      line(sha, dataset.member(g, j));
      items.members++;
      await tick();
    }
  }
  for (const [pool, active] of [['p', dataset.peerConversations], ['c', dataset.channelConversations]] as const) {
    for (let rank = 0; rank < active; rank++) {
      const conversation: GeneratedConversation = dataset.conversationAtRank(pool as Pool, rank);
      line(sha, conversation.conversation);
      items.conversations++;
      for (let i = 0; i < conversation.count; i++) {
        line(sha, conversation.messageAt(i));
        items.messages++;
        await tick();
      }
    }
  }
  return { contentDigest: sha.digest('hex'), items };
}

function digestUser(sha: Hash, dataset: Dataset, u: number): void {
  line(sha, dataset.user(u));
  line(sha, dataset.contacts(u, 0, Number.MAX_SAFE_INTEGER).items);
  line(sha, dataset.blocklist(u));
  const conversations = dataset.userConversations(u);
  line(sha, dataset.settings(u, conversations));
  for (const { peer, generated } of conversations) line(sha, [peer, generated.count, dataset.readPosition(u, generated) ?? null]);
}

/** First, last and a few seeded indices in [0, size). */
function sampleIndices(dataset: Dataset, label: string, size: number): number[] {
  if (size === 0) return [];
  const picks = new Set([0, size - 1]);
  const salt = [...label].reduce((h, ch) => Math.imul(h ^ ch.charCodeAt(0), 16_777_619) >>> 0, 2_166_136_261);
  for (let i = 0; picks.size < Math.min(size, SAMPLES) && i < 4 * SAMPLES; i++) picks.add(hash(dataset.key, salt, i) % size);
  return [...picks].sort((x, y) => x - y);
}

function line(sha: Hash, value: unknown): void {
  sha.update(JSON.stringify(value));
  sha.update('\n');
}
