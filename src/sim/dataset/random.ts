/**
 * Seeded, stateless randomness for the generated dataset: every value is a hash of the dataset key
 * and the indices of the item it belongs to, so any item can be derived on its own, in any order.
 * Every function here works on unsigned 32-bit integers; indices must stay below 2^32.
 */

import { fmix32 } from '../../domain/hash.js';

export { fmix32 };

/** A uint32 hash of a key and up to three indices (each an integer below 2^32). */
export function hash(key: number, a: number, b = 0, c = 0): number {
  let h = fmix32(key ^ 0x9e3779b9);
  h = fmix32(h ^ Math.imul(a >>> 0, 0xcc9e2d51));
  h = fmix32((h + Math.imul(b >>> 0, 0x1b873593)) >>> 0);
  return fmix32(h ^ Math.imul((c >>> 0) ^ 0x5bd1e995, 0x27d4eb2f));
}

/** `hash` as a float in [0, 1). */
export function unit(key: number, a: number, b = 0, c = 0): number {
  return hash(key, a, b, c) / 4_294_967_296;
}

/** A small sequential generator (mulberry32) for items that need several draws, e.g. a payload. */
export class Rng {
  private state: number;

  constructor(seed: number) {
    this.state = seed >>> 0;
  }

  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  }

  /** An integer in [0, n), n >= 1. */
  int(n: number): number {
    return Math.floor((this.next() / 4_294_967_296) * n);
  }

  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)] as T;
  }
}

/**
 * A seeded bijection on [0, size), size <= 2^32: a 4-round Feistel network over the smallest even
 * number of bits that covers `size`, cycle-walked back into range (at most ~4 steps on average, since
 * that domain is under 4 × size). Both directions are O(1) and keep no table.
 */
export class Permutation {
  private readonly half: number;
  private readonly mask: number;
  private readonly keys: readonly number[];

  constructor(readonly size: number, key: number) {
    let bits = 2;
    while (2 ** bits < size) bits += 2;
    this.half = bits / 2;
    this.mask = 2 ** this.half - 1;
    this.keys = [0, 1, 2, 3].map((round) => hash(key, 0x7065726d, round));
  }

  forward(x: number): number {
    if (this.size <= 1) return x;
    let y = this.encrypt(x);
    while (y >= this.size) y = this.encrypt(y);
    return y;
  }

  inverse(y: number): number {
    if (this.size <= 1) return y;
    let x = this.decrypt(y);
    while (x >= this.size) x = this.decrypt(x);
    return x;
  }

  private encrypt(value: number): number {
    let left = Math.floor(value / (this.mask + 1));
    let right = value & this.mask;
    for (const key of this.keys) {
      const next = (left ^ fmix32(right ^ key)) & this.mask;
      left = right;
      right = next;
    }
    return left * (this.mask + 1) + right;
  }

  private decrypt(value: number): number {
    let left = Math.floor(value / (this.mask + 1));
    let right = value & this.mask;
    for (let round = this.keys.length - 1; round >= 0; round--) {
      const previous = (right ^ fmix32(left ^ (this.keys[round] as number))) & this.mask;
      right = left;
      left = previous;
    }
    return left * (this.mask + 1) + right;
  }
}

/** `value` mod `modulus` in [0, modulus), for any sign. */
export function mod(value: number, modulus: number): number {
  const r = value % modulus;
  return r < 0 ? r + modulus : r;
}

export function gcd(a: number, b: number): number {
  while (b !== 0) [a, b] = [b, a % b];
  return a;
}

/** The inverse of `a` modulo `m` (gcd(a, m) = 1), by the extended Euclidean algorithm. */
export function inverseMod(a: number, m: number): number {
  let [oldR, r] = [mod(a, m), m];
  let [oldS, s] = [1, 0];
  while (r !== 0) {
    const q = Math.floor(oldR / r);
    [oldR, r] = [r, oldR - q * r];
    [oldS, s] = [s, oldS - q * s];
  }
  return mod(oldS, m);
}
