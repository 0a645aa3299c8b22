import type { RolloutState } from '../../domain/rollout-state.js';

export interface RolloutEvent {
  event: 'rollback' | 'promotion';
  trigger: 'auto' | 'manual';
  /** One line for humans (and Slack's `text`). */
  summary: string;
  reason: string;
  state: RolloutState;
  details?: Record<string, unknown>;
}

/** Tells people what the guard did. Never blocks and never throws: the rollback comes first. */
export interface Notifier {
  notify(event: RolloutEvent): void;
}

export const NO_NOTIFIER: Notifier = { notify() {} };
