import type { OutboundMessage } from '../../domain/message.js';

/**
 * The wire form of a message on RTM. Cutover logs in as one service user, so the RTM publisher
 * is never the real sender: the envelope carries it, and its `id` lets receivers (and history)
 * drop the duplicates a retried publish can leave.
 */
export type RtmEnvelope = OutboundMessage;

export function encodeEnvelope(message: OutboundMessage): string {
  const envelope: RtmEnvelope = {
    id: message.id,
    from: message.from,
    to: message.to,
    payload: message.payload,
    kind: message.kind,
    sentAt: message.sentAt,
  };
  return JSON.stringify(envelope);
}

/** The message an RTM payload carries, or undefined when it is not a Cutover envelope. */
export function decodeEnvelope(wire: string | Uint8Array): OutboundMessage | undefined {
  if (typeof wire !== 'string' || !wire.startsWith('{')) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(wire);
  } catch {
    return undefined;
  }
  return envelopeFrom(value);
}

/** The message a parsed envelope (alone, or one of a batch's) holds; undefined when malformed. */
export function envelopeFrom(value: unknown): OutboundMessage | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const v = value as Record<string, unknown>;
  const to = v.to as Record<string, unknown> | null | undefined;
  if (
    typeof v.id !== 'string' ||
    typeof v.from !== 'string' ||
    typeof v.payload !== 'string' ||
    typeof v.sentAt !== 'number' ||
    (v.kind !== undefined && typeof v.kind !== 'string') ||
    typeof to !== 'object' ||
    to === null ||
    (to.type !== 'user' && to.type !== 'channel') ||
    typeof to.id !== 'string'
  ) {
    return undefined;
  }
  const message: OutboundMessage = {
    id: v.id,
    from: v.from,
    to: { type: to.type, id: to.id },
    payload: v.payload,
    sentAt: v.sentAt,
  };
  if (typeof v.kind === 'string') message.kind = v.kind;
  return message;
}
