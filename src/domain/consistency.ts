import { sameContent, type OutboundMessage } from './message.js';

/** `other-side` compares the side that served a read with the other one; `same-side` reads the serving side twice (A/A). */
export type ConsistencyMode = 'other-side' | 'same-side';

/** `missing_on_served`: only the compared side has it; `missing_on_compared`: only the served side; `content`: same id, other content or sentAt. */
export type MismatchKind = 'missing_on_served' | 'missing_on_compared' | 'content';

export const MISMATCH_KINDS: readonly MismatchKind[] = ['missing_on_served', 'missing_on_compared', 'content'];

/**
 * Messages younger than this are not compared. The outbox writes the secondary after the primary,
 * normally within a second, and the compared read comes after the served one; five times that
 * keeps the ordinary lag out of the comparison, while a write still owed after it is a real
 * difference (and shows in `cutover_outbox_owed` too).
 */
export const SETTLE_MS = 5_000;

export interface HistoryAnswers {
  /** The query's `limit`: an answer this long may have stopped short of older messages. */
  limit: number;
  /** What the read answered with, oldest first. */
  served: readonly OutboundMessage[];
  /** The compared side's answer to the same query. */
  compared: readonly OutboundMessage[];
}

export interface ConsistencyVerdict {
  result: 'match' | 'mismatch';
  missingOnServed: string[];
  missingOnCompared: string[];
  contentDiffers: string[];
  /** Ids looked at: those settled and inside the range the other answer covers, or held by both. */
  comparedIds: number;
  /**
   * What each answer covers: sentAt strictly after `servedAfter` / `comparedAfter` (absent: from
   * the first message), up to `settledUpTo` inclusive.
   */
  coverage: { servedAfter?: number; comparedAfter?: number; settledUpTo: number };
}

/**
 * Compares two answers to one history query by id. A message one answer holds is missing from the
 * other only if the other answer covers its time, and only once settled (`settledUpTo`: the read's
 * time less the settle time). A full answer (`limit` messages) covers only what is newer than its
 * oldest message: a side holding more, or read a moment later, legitimately stops at a newer one;
 * the bound is exclusive because sides may cut a tie of sentAt at the page edge differently. A short
 * answer covers everything before the query's `before`. So only the range both answers cover is
 * compared: a message one answer holds lies inside that answer's own range.
 */
export function compareHistory(answers: HistoryAnswers, settledUpTo: number): ConsistencyVerdict {
  const servedAfter = coveredAfter(answers.served, answers.limit);
  const comparedAfter = coveredAfter(answers.compared, answers.limit);
  const settled = (message: OutboundMessage): boolean => message.sentAt <= settledUpTo;
  const served = byId(answers.served);
  const compared = byId(answers.compared);
  const missingOnServed: string[] = [];
  const missingOnCompared: string[] = [];
  const contentDiffers: string[] = [];
  let looked = 0;

  for (const [id, message] of served) {
    const other = compared.get(id);
    if (other) {
      // sentAt is part of what is compared, so a copy that moved past the settle time still counts.
      if (!settled(message) && !settled(other)) continue;
      looked++;
      if (!sameStored(message, other)) contentDiffers.push(id);
    } else if (settled(message) && message.sentAt > comparedAfter) {
      looked++;
      missingOnCompared.push(id);
    }
  }
  for (const [id, message] of compared) {
    if (served.has(id) || !settled(message) || message.sentAt <= servedAfter) continue;
    looked++;
    missingOnServed.push(id);
  }

  const mismatch = missingOnServed.length + missingOnCompared.length + contentDiffers.length > 0;
  return {
    result: mismatch ? 'mismatch' : 'match',
    missingOnServed,
    missingOnCompared,
    contentDiffers,
    comparedIds: looked,
    coverage: {
      ...(Number.isFinite(servedAfter) && { servedAfter }),
      ...(Number.isFinite(comparedAfter) && { comparedAfter }),
      settledUpTo,
    },
  };
}

/** The sentAt an answer is complete after: its oldest message's when it may have been cut by `limit`. */
function coveredAfter(messages: readonly OutboundMessage[], limit: number): number {
  if (messages.length < limit) return -Infinity;
  let oldest = Infinity;
  for (const message of messages) oldest = Math.min(oldest, message.sentAt);
  return oldest;
}

function byId(messages: readonly OutboundMessage[]): Map<string, OutboundMessage> {
  return new Map(messages.map((message) => [message.id, message]));
}

/** sentAt belongs to the message end to end (the envelope carries it), so a side that changed it differs. */
function sameStored(a: OutboundMessage, b: OutboundMessage): boolean {
  return a.sentAt === b.sentAt && sameContent(a, b);
}
