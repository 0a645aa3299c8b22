import type { OutboundMessage } from '../../domain/message.js';
import { AdapterError } from '../adapter-error.js';
import { encodeEnvelope, envelopeFrom } from './rtm-envelope.js';

/**
 * Imported history travels in batches: one RTM message carrying many envelopes, because a client
 * may publish about 60 messages a second and a migration moves millions. The wire form is
 * `{"cutover":"batch","messages":[<envelope>, ...]}`; every reader unpacks it and single envelopes
 * alike (docs/agora-mapping.md).
 */
export const BATCH_CUSTOM_TYPE = 'cutover-batch';

/** The SDK refuses a message over 32,768 UTF-8 bytes (-11010); the rest covers the server's framing. */
export const BATCH_MAX_BYTES = 32_000;

const HEAD = '{"cutover":"batch","messages":[';
const TAIL = ']}';
const FRAME_BYTES = HEAD.length + TAIL.length;

export interface Batch {
  wire: string;
  ids: string[];
}

/**
 * The messages as few batches as fit `maxBytes` each, in the given order. Throws `rejected`
 * before anything is packed when one message alone cannot fit: RTM would never take it.
 */
export function packBatches(messages: readonly OutboundMessage[], maxBytes = BATCH_MAX_BYTES): Batch[] {
  const encoded = messages.map((message) => {
    const wire = encodeEnvelope(message);
    const bytes = Buffer.byteLength(wire, 'utf8');
    if (FRAME_BYTES + bytes > maxBytes) {
      const text = `message ${message.id} is ${bytes} bytes as an envelope; an RTM message holds at most ${maxBytes - FRAME_BYTES}`;
      throw new AdapterError('rejected', text, undefined, { notSent: true });
    }
    return { id: message.id, wire, bytes };
  });
  const batches: Batch[] = [];
  let parts: string[] = [];
  let ids: string[] = [];
  let size = FRAME_BYTES;
  for (const item of encoded) {
    const added = item.bytes + (parts.length > 0 ? 1 : 0);
    if (parts.length > 0 && size + added > maxBytes) {
      batches.push({ wire: HEAD + parts.join(',') + TAIL, ids });
      parts = [];
      ids = [];
      size = FRAME_BYTES;
    }
    size += item.bytes + (parts.length > 0 ? 1 : 0);
    parts.push(item.wire);
    ids.push(item.id);
  }
  if (parts.length > 0) batches.push({ wire: HEAD + parts.join(',') + TAIL, ids });
  return batches;
}

/** The messages one stored RTM message holds: a batch's, a single envelope's, or none. */
export function unpackEntry(wire: string | Uint8Array): OutboundMessage[] {
  if (typeof wire !== 'string' || !wire.startsWith('{')) return [];
  let value: unknown;
  try {
    value = JSON.parse(wire);
  } catch {
    return [];
  }
  if (typeof value !== 'object' || value === null) return [];
  const v = value as { cutover?: unknown; messages?: unknown };
  if (v.cutover !== 'batch') {
    const single = envelopeFrom(value);
    return single === undefined ? [] : [single];
  }
  if (!Array.isArray(v.messages)) return [];
  const messages: OutboundMessage[] = [];
  for (const item of v.messages) {
    const message = envelopeFrom(item);
    if (message !== undefined) messages.push(message);
  }
  return messages;
}
