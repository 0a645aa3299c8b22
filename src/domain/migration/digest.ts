import { fmix32 } from '../hash.js';
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
  /** The running hash of the message being added (two 32-bit lanes). */
  private h0 = 0;
  private h1 = 0;

  /** One pass over the message's text: the id's hash goes on over the rest for the content lanes. */
  add(message: OutboundMessage): void {
    this.count++;
    this.h0 = SEED0;
    this.h1 = SEED1;
    this.text(message.id);
    this.ids0 = (this.ids0 + fmix32(this.h0)) >>> 0;
    this.ids1 = (this.ids1 + fmix32(this.h1 ^ this.h0)) >>> 0;
    this.number(message.sentAt);
    this.text(message.from);
    this.text(message.to.type);
    this.text(message.to.id);
    this.text(message.kind ?? '');
    this.text(message.payload);
    this.contents0 = (this.contents0 + fmix32(this.h0)) >>> 0;
    this.contents1 = (this.contents1 + fmix32(this.h1 ^ this.h0)) >>> 0;
  }

  digest(): MessageDigest {
    return { count: this.count, ids: hex(this.ids0, this.ids1), contents: hex(this.contents0, this.contents1) };
  }

  /** Each field's length goes in first, so no two splits of the same characters hash alike. */
  private text(text: string): void {
    let h0 = Math.imul(this.h0 ^ (text.length + 0x10000), M0);
    let h1 = Math.imul(this.h1 ^ (text.length + 0x10000), M1);
    for (let i = 0; i < text.length; i++) {
      const k = text.charCodeAt(i);
      h0 = Math.imul(h0 ^ k, M0);
      h0 ^= h0 >>> 15;
      h1 = Math.imul(h1 ^ k, M1);
      h1 ^= h1 >>> 13;
    }
    this.h0 = h0;
    this.h1 = h1;
  }

  private number(value: number): void {
    const low = value >>> 0;
    const high = Math.floor(value / 0x1_0000_0000) >>> 0;
    const h0 = Math.imul(Math.imul(this.h0 ^ low, M0) ^ high, M0);
    const h1 = Math.imul(Math.imul(this.h1 ^ low, M1) ^ high, M1);
    this.h0 = h0 ^ (h0 >>> 15);
    this.h1 = h1 ^ (h1 >>> 13);
  }
}

export function sameDigest(a: MessageDigest, b: MessageDigest): boolean {
  return a.count === b.count && a.ids === b.ids && a.contents === b.contents;
}

/** What a message is compared by when the digests differ: its id, original time, sender, recipient, kind and payload. */
export function contentOf(message: OutboundMessage): string {
  return `${message.id}\u0000${message.sentAt}\u0000${contentKey(message)}`;
}

const SEED0 = 0x9747b28c;
const SEED1 = 0x85ebca6b;
const M0 = 0x5bd1e995;
const M1 = 0x27d4eb2d;

function hex(a: number, b: number): string {
  return a.toString(16).padStart(8, '0') + b.toString(16).padStart(8, '0');
}
