import type { ErrorInfo } from 'agora-rtm-sdk';
import { AdapterError, type AdapterFailure } from '../adapter-error.js';

/**
 * agora-rtm-sdk 2.3.0 error codes (the SDK's `RTM_ERROR_*` enum, read from agora-rtm.js) that the
 * calls Cutover makes (login, logout, publish, history.getMessages, renewToken, and the storage
 * calls of a migration) can return,
 * and how each counts for the outbox and the guard. `rejected` is never retried, so it is kept
 * for faults of the message itself (a message the side will never take). Bad credentials are the
 * gateway's fault, not the message's: they count as `unavailable`, so the outbox pauses and probes
 * instead of dead-lettering every message until ops fix the token.
 * Codes not listed here count as `vendor_error`.
 *
 * Two codes never reach this table: -11035 (recipient offline, stored in history) is a success,
 * and -10002 / -10009 (not logged in, token expired) first trigger one re-login and retry.
 */
const TABLE: ReadonlyArray<readonly [code: number, failure: AdapterFailure, meaning: string]> = [
  // session and login
  [-10001, 'unavailable', 'client not initialised'],
  [-10002, 'unavailable', 'not logged in'],
  [-10003, 'unavailable', 'invalid app id'],
  [-10005, 'unavailable', 'invalid token'],
  [-10006, 'rejected', 'invalid user id'],
  [-10007, 'unavailable', 'SDK service failed to start'],
  [-10008, 'rejected', 'invalid channel or user name'],
  [-10009, 'unavailable', 'token expired'],
  [-10010, 'unavailable', 'no server resources for login'],
  [-10011, 'timeout', 'login timed out'],
  [-10012, 'vendor_error', 'login rejected by a server error'],
  [-10013, 'unavailable', 'login aborted'],
  [-10014, 'rejected', 'invalid parameter'],
  [-10015, 'unavailable', 'login not authorised (RTM not enabled or plan used up)'],
  [-10016, 'unavailable', 'token was issued for another app id'],
  [-10017, 'unavailable', 'same request already in progress'],
  [-10018, 'unavailable', 'client instance already released'],
  [-10019, 'rejected', 'invalid channel type'],
  [-10020, 'rejected', 'invalid encryption parameters'],
  [-10021, 'unavailable', 'rate limited'],
  [-10022, 'rejected', 'service not enabled for this project'],
  [-10023, 'unavailable', 'login cancelled'],
  [-10024, 'rejected', 'invalid private deployment config'],
  [-10025, 'unavailable', 'not connected to RTM'],
  [-10026, 'timeout', 'token renewal timed out'],
  [-10027, 'unavailable', 'user id in use by another RTM instance'],
  // publish
  [-11009, 'rejected', 'invalid message'],
  [-11010, 'rejected', 'message too large'],
  [-11023, 'vendor_error', 'message encryption failed'],
  [-11024, 'vendor_error', 'publish failed'],
  [-11025, 'unavailable', 'rate limited (publishing too often)'],
  [-11026, 'timeout', 'publish timed out'],
  [-11027, 'unavailable', 'connection closed'],
  [-11029, 'rejected', 'customType too long'],
  [-11030, 'rejected', 'invalid customType'],
  [-11031, 'rejected', 'unsupported message type'],
  [-11033, 'vendor_error', 'recipient offline and message not stored'],
  [-11036, 'vendor_error', 'recipient offline and storing in history failed'],
  // Delivered live but missing from history: retry so the side holds the whole history.
  [-11037, 'vendor_error', 'delivered but not stored in history'],
  [-11039, 'rejected', 'publish permission denied'],
  // storage (user and channel metadata, written by a migration)
  [-12001, 'vendor_error', 'storage operation failed'],
  [-12002, 'rejected', 'too many metadata items in one call'],
  [-12003, 'rejected', 'invalid metadata item'],
  [-12004, 'rejected', 'storage argument rejected by the server'],
  [-12005, 'rejected', 'invalid metadata revision'],
  [-12006, 'rejected', 'metadata too large'],
  [-12009, 'rejected', 'invalid metadata key'],
  [-12010, 'rejected', 'invalid metadata value'],
  [-12011, 'rejected', 'metadata key too long'],
  [-12012, 'rejected', 'metadata value too long'],
  [-12013, 'rejected', 'duplicate metadata key'],
  [-12014, 'rejected', 'outdated metadata revision or missing key'],
  [-12018, 'timeout', 'storage operation timed out'],
  // The project's configuration, not the item's fault: pause and retry once ops enable storage.
  [-12019, 'unavailable', 'storage not enabled for the project'],
  [-12020, 'rejected', 'storage permission denied'],
  // history
  [-15001, 'vendor_error', 'history read failed'],
  [-15002, 'rejected', 'invalid history time range'],
  [-15003, 'timeout', 'history read timed out'],
  [-15004, 'rejected', 'history read not permitted'],
  [-15005, 'rejected', 'message history not enabled for the project'],
  [-15006, 'rejected', 'history permission denied'],
];

export interface RtmErrorClass {
  failure: AdapterFailure;
  meaning: string;
}

export const RTM_ERRORS: ReadonlyMap<number, RtmErrorClass> = new Map(
  TABLE.map(([code, failure, meaning]) => [code, { failure, meaning }]),
);

export const RTM_NOT_LOGGED_IN = -10002;
export const RTM_TOKEN_EXPIRED = -10009;
export const RTM_RECEIVER_OFFLINE_BUT_STORED = -11035;

/** The SDK's numeric code when `err` is shaped like its errors (`RTMBaseError`/`ErrorInfo`). */
export function rtmErrorCode(err: unknown): number | undefined {
  if (typeof err !== 'object' || err === null) return undefined;
  const code = (err as Partial<ErrorInfo>).errorCode;
  return typeof code === 'number' ? code : undefined;
}

/** Any error from an SDK call as an AdapterError, classified by the table above. */
export function fromRtmError(err: unknown, operation: string): AdapterError {
  if (err instanceof AdapterError) return err;
  const code = rtmErrorCode(err);
  if (code === undefined) {
    const message = err instanceof Error ? err.message : String(err);
    const text = `agora-rtm ${operation} failed: ${message}`;
    return new AdapterError('vendor_error', text, undefined, { cause: err });
  }
  const known = RTM_ERRORS.get(code);
  const reason = (err as Partial<ErrorInfo>).reason;
  const meaning = known?.meaning ?? 'unknown RTM error';
  const detail = typeof reason === 'string' && reason !== '' ? `${code}: ${reason}` : String(code);
  return new AdapterError(
    known?.failure ?? 'vendor_error',
    `agora-rtm ${operation} failed: ${meaning} (${detail})`,
    code,
    { cause: err },
  );
}
