import type { Side } from '../../domain/message.js';

/** `bridged`: queued for the other side; `duplicate`: its id was taken before; `not_needed`: the recipient is on the side it was sent through and nothing is dual-written. */
export type BridgeResult = 'bridged' | 'duplicate' | 'not_needed';

/** What the bridge reports (metrics implement it). */
export interface BridgeTelemetry {
  bridged(from: Side, result: BridgeResult): void;
  /** From the client's send to the other side holding the message. */
  bridgeLag(from: Side, seconds: number): void;
  bridgeRejected(side: Side, reason: string): void;
}

export const NO_BRIDGE_TELEMETRY: BridgeTelemetry = { bridged() {}, bridgeLag() {}, bridgeRejected() {} };
