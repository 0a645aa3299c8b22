import type { ImportResult } from '../../adapters/migration-side.js';
import type { Conversation, OutboundMessage, Side } from '../../domain/message.js';

/** Told of every import call the migration job made into a side, with what the side answered. */
export interface ImportMeter {
  imported(side: Side, conversation: Conversation, messages: readonly OutboundMessage[], result: ImportResult): void;
}
