import { contentKey, type OutboundMessage } from '../message.js';

/**
 * An order-independent digest of a set of messages: a count and lane-wise sums (mod 2^32) of a
 * 64-bit hash of each id, and of each id with its content and time. Two sides that hold the same
 * messages in any order digest equal; a missing, extra or changed message changes it (but for a
 * 2^-64 chance). Not a defence against someone forging collisions: it detects loss and drift.
 */
export interface MessageDigest {
  count: number;
  ids: string;
  contents: string;
}

export class DigestBuilder {
  private count = 0;
  private ids0 = 0;
  private ids1 = 0;
  private contents0 = 0;
  private contents1 = 0;

  add(message: OutboundMessage): void {
    this.count++;
    const [i0, i1] = hash64(message.id);
    this.ids0 = (this.ids0 + i0) >>> 0;
    this.ids1 = (this.ids1 + i1) >>> 0;
    const [c0, c1] = hash64(contentOf(message));
    this.contents0 = (this.contents0 + c0) >>> 0;
    this.contents1 = (this.contents1 + c1) >>> 0;
  }

  digest(): MessageDigest {
    return { count: this.count, ids: hex(this.ids0, this.ids1), contents: hex(this.contents0, this.contents1) };
  }
}

export function sameDigest(a: MessageDigest, b: MessageDigest): boolean {
  return a.count === b.count && a.ids === b.ids && a.contents === b.contents;
}

/** What a message is compared by: its id, sender, recipient, kind, payload and original time. */
export function contentOf(message: OutboundMessage): string {
  return `${message.id}\u0000${message.sentAt}\u0000${contentKey(message)}`;
}

/** Two independent 32-bit murmur3-style hashes of the UTF-16 code units (fast; not cryptographic). */
export function hash64(text: string): [number, number] {
  let h0 = 0x9747b28c;
  let h1 = 0x85ebca6b ^ text.length;
  for (let i = 0; i < text.length; i++) {
    const k = text.charCodeAt(i);
    h0 = Math.imul(h0 ^ k, 0x5bd1e995);
    h0 ^= h0 >>> 15;
    h1 = Math.imul(h1 ^ k, 0x27d4eb2d);
    h1 ^= h1 >>> 13;
  }
  return [fmix(h0), fmix(h1 ^ h0)];
}

function fmix(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

function hex(a: number, b: number): string {
  return a.toString(16).padStart(8, '0') + b.toString(16).padStart(8, '0');
}
