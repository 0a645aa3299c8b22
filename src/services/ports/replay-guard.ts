/** Remembers signatures of webhooks taken, for the replay window, so a captured one cannot be sent again. */
export interface ReplayGuard {
  /** True the first time `key` is claimed within `ttlMs`; false for a replay. */
  claim(key: string, ttlMs: number): Promise<boolean>;
  /** Forgets a claim whose event was not taken after all (the sender may send the same again). */
  release(key: string): Promise<void>;
}
