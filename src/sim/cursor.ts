/**
 * Opaque page cursors: base64url of a small JSON array whose first element names the list it belongs
 * to. Clients only hand them back; `start` (no cursor) is the first page.
 */
export type CursorPart = string | number;

export class BadCursorError extends Error {
  readonly statusCode = 400;
  readonly code = 'bad_cursor';
}

export class NotFoundError extends Error {
  readonly statusCode = 404;
  readonly code = 'not_found';
}

export function encodeCursor(parts: readonly CursorPart[]): string {
  return Buffer.from(JSON.stringify(parts), 'utf8').toString('base64url');
}

/**
 * The parts of `cursor` (undefined for none or `start`), checked to be of list `kind` with the
 * given part types; anything else is a BadCursorError, never a wrong page.
 */
export function decodeCursor(cursor: string | undefined, kind: string, types: ReadonlyArray<'string' | 'number'>): CursorPart[] | undefined {
  if (cursor === undefined || cursor === 'start') return undefined;
  let parts: unknown;
  try {
    parts = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw new BadCursorError('cursor is not one this server gave out');
  }
  if (!Array.isArray(parts) || parts[0] !== kind || parts.length !== types.length + 1) {
    throw new BadCursorError(`cursor is not one of this list (${kind})`);
  }
  const rest = parts.slice(1) as unknown[];
  rest.forEach((part, i) => {
    const ok = types[i] === 'number' ? Number.isSafeInteger(part) && (part as number) >= 0 : typeof part === 'string';
    if (!ok) throw new BadCursorError('cursor is not one this server gave out');
  });
  return rest as CursorPart[];
}
