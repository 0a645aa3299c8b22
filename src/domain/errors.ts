/**
 * Cutover's errors: a stable machine-readable `code`, the HTTP status it maps to, and a message
 * that says what to do next. The HTTP layer and the CLI print these; nothing else invents codes.
 */
export abstract class CutoverError extends Error {
  abstract readonly code: string;
  abstract readonly statusCode: number;
  /** Seconds a client should wait before retrying (503s). */
  readonly retryAfterSeconds?: number;
  /** Extra machine-readable facts for the error body (e.g. the current state on a conflict). */
  readonly details?: Record<string, unknown>;
}

function defineError(code: string, statusCode: number, name: string) {
  return class extends CutoverError {
    override readonly name = name;
    readonly code = code;
    readonly statusCode = statusCode;
    constructor(message: string, extra: { details?: Record<string, unknown>; retryAfterSeconds?: number; cause?: unknown } = {}) {
      super(message, { cause: extra.cause });
      Object.assign(this, { details: extra.details, retryAfterSeconds: extra.retryAfterSeconds });
    }
  };
}

export const InvalidRequestError = defineError('INVALID_REQUEST', 400, 'InvalidRequestError');
export const UnauthorizedError = defineError('UNAUTHORIZED', 401, 'UnauthorizedError');
export const ForbiddenError = defineError('FORBIDDEN', 403, 'ForbiddenError');
export const NotFoundError = defineError('NOT_FOUND', 404, 'NotFoundError');
export const VersionConflictError = defineError('VERSION_CONFLICT', 409, 'VersionConflictError');
export const MessageInFlightError = defineError('MESSAGE_IN_FLIGHT', 409, 'MessageInFlightError');
export const IdempotencyMismatchError = defineError('IDEMPOTENCY_KEY_REUSED', 422, 'IdempotencyMismatchError');
export const UnprocessableError = defineError('UNPROCESSABLE', 422, 'UnprocessableError');
export const RejectedBySideError = defineError('REJECTED_BY_SIDE', 422, 'RejectedBySideError');
export const SideUnavailableError = defineError('SIDE_UNAVAILABLE', 503, 'SideUnavailableError');
export const StateUnavailableError = defineError('STATE_UNAVAILABLE', 503, 'StateUnavailableError');
export const OutboxUnavailableError = defineError('OUTBOX_UNAVAILABLE', 503, 'OutboxUnavailableError');
export const InvalidTransitionError = defineError('INVALID_TRANSITION', 409, 'InvalidTransitionError');
export const BakeNotDoneError = defineError('BAKE_NOT_DONE', 409, 'BakeNotDoneError');
export const MigrationConflictError = defineError('MIGRATION_CONFLICT', 409, 'MigrationConflictError');
export const NoMigrationError = defineError('NO_MIGRATION', 404, 'NoMigrationError');
export const NotAllVerifiedError = defineError('NOT_ALL_VERIFIED', 409, 'NotAllVerifiedError');
export const MissingSignatureError = defineError('MISSING_SIGNATURE', 401, 'MissingSignatureError');
export const BadSignatureError = defineError('BAD_SIGNATURE', 401, 'BadSignatureError');
export const StaleTimestampError = defineError('STALE_TIMESTAMP', 401, 'StaleTimestampError');
export const WebhookReplayedError = defineError('WEBHOOK_REPLAYED', 409, 'WebhookReplayedError');
export const InvalidEventError = defineError('INVALID_EVENT', 400, 'InvalidEventError');
