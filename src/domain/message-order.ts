import type { OutboundMessage } from './message.js';

/** The order history keeps: by time sent, then by id (so equal times still sort one way). */
export function compareMessages(x: OutboundMessage, y: OutboundMessage): number {
  return x.sentAt - y.sentAt || (x.id < y.id ? -1 : x.id > y.id ? 1 : 0);
}

/** Index of the first message of a list in that order sent at or after `time` (binary search). */
export function firstAtOrAfter(list: readonly OutboundMessage[], time: number): number {
  let lo = 0;
  let hi = list.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((list[mid] as OutboundMessage).sentAt < time) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Index of the first message of a list in that order that sorts after `message` (binary search). */
export function firstAfter(list: readonly OutboundMessage[], message: Pick<OutboundMessage, 'id' | 'sentAt'>): number {
  let lo = 0;
  let hi = list.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (compareMessages(list[mid] as OutboundMessage, message as OutboundMessage) <= 0) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
