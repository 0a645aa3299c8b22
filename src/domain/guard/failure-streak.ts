import type { Side } from '../message.js';

export interface StreakRules {
  /** Consecutive new-side send failures that roll back at once. */
  consecutiveFailures: number;
  /** ...unless old is failing this share of its recent sends too (a shared outage). */
  sharedFailureRate: number;
  /** How many of old's latest outcomes count for that share. */
  recentWindow: number;
}

export const DEFAULT_STREAK_RULES: StreakRules = { consecutiveFailures: 20, sharedFailureRate: 0.5, recentWindow: 20 };

/**
 * The in-process half of the tripwire: it sees each send's outcome as it happens, so a new side
 * that fails outright is rolled back within a second, without waiting for fleet windows.
 * Pure state machine: feed outcomes, read `tripped`.
 */
export class FailureStreak {
  private newStreak = 0;
  private readonly oldOutcomes: boolean[] = [];
  private oldFailures = 0;

  constructor(private readonly rules: StreakRules) {}

  /** Records one send outcome; returns true when this outcome trips the wire. */
  record(side: Side, ok: boolean): boolean {
    if (side === 'old') {
      this.oldOutcomes.push(ok);
      if (!ok) this.oldFailures++;
      if (this.oldOutcomes.length > this.rules.recentWindow && !this.oldOutcomes.shift()) this.oldFailures--;
      return false;
    }
    this.newStreak = ok ? 0 : this.newStreak + 1;
    return this.tripped;
  }

  get tripped(): boolean {
    return this.newStreak >= this.rules.consecutiveFailures && !this.oldFailingToo;
  }

  get streak(): number {
    return this.newStreak;
  }

  private get oldFailingToo(): boolean {
    const seen = this.oldOutcomes.length;
    return seen > 0 && this.oldFailures / seen >= this.rules.sharedFailureRate;
  }
}
