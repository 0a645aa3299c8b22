import type { Side } from '../message.js';

/** How a client app sends a message so that it reaches its peer: through its SDK, or through the backend. */
export interface SendPath {
  via: 'sdk' | 'backend';
  reason: string;
}

/**
 * The client contract of the bridge (docs/bridge.md). A side whose after-send webhook feeds the
 * bridge carries whatever its SDK sends; a side without one (Agora RTM) cannot, so a message
 * that must reach the other side (the peer is there, or messages are dual-written for a
 * rollback) goes through the backend, which routes it and writes it once by id.
 */
export function sendPath(input: { senderSide: Side; peerSide: Side; dualWriting: boolean; senderSideBridged: boolean }): SendPath {
  const { senderSide, peerSide, dualWriting, senderSideBridged } = input;
  if (senderSideBridged) return { via: 'sdk', reason: `the ${senderSide} side's webhook carries what its SDK sends to the other side` };
  if (peerSide !== senderSide) return { via: 'backend', reason: `the peer is on ${peerSide}, and what the ${senderSide} SDK sends is seen by no bridge` };
  if (dualWriting) return { via: 'backend', reason: `both on ${senderSide}, but messages are dual-written (a rollback must find them on the other side too)` };
  return { via: 'sdk', reason: `both on ${senderSide}, and nothing is dual-written` };
}
