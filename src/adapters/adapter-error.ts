/**
 * How a side failed. The outbox retries everything but `rejected`; the guard counts each class
 * apart (a timeout and a vendor 5xx say different things about the new side).
 */
export type AdapterFailure = 'timeout' | 'unavailable' | 'vendor_error' | 'rejected';

export class AdapterError extends Error {
  override readonly name = 'AdapterError';

  constructor(
    readonly failure: AdapterFailure,
    message: string,
    /** The vendor's own code, when it gave one (HTTP status, Agora error code). */
    readonly vendorCode?: string | number,
    options?: { cause?: unknown; notSent?: boolean },
  ) {
    super(message, options);
    this.notSent = options?.notSent ?? false;
  }

  /**
   * True only when the side cannot hold the message (no connection was made): then a failed send
   * stored nothing. Otherwise a retryable failure is ambiguous: the side may have stored it.
   */
  readonly notSent: boolean;

  get retryable(): boolean {
    return this.failure !== 'rejected';
  }
}

/** Any thrown value as an AdapterError; unknown errors count as vendor errors (retryable). */
export function toAdapterError(err: unknown): AdapterError {
  if (err instanceof AdapterError) return err;
  const message = err instanceof Error ? err.message : String(err);
  return new AdapterError('vendor_error', message, undefined, { cause: err });
}
