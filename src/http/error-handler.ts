import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { CutoverError } from '../domain/errors.js';
import { PATTERN_RULES } from './schemas.js';

/** Fastify's own client errors, given Cutover's stable codes. */
const FASTIFY_CODES: Record<string, string> = {
  FST_ERR_CTP_BODY_TOO_LARGE: 'PAYLOAD_TOO_LARGE',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'UNSUPPORTED_MEDIA_TYPE',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'INVALID_REQUEST',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'INVALID_JSON',
  FST_ERR_CTP_INVALID_JSON_BODY: 'INVALID_JSON',
};

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Error bodies of this route name the caller's message id (`details.messageId`), so a retry can reuse it. */
    echoMessageId?: boolean;
  }
}

export function sendError(reply: FastifyReply, status: number, code: string, message: string, details?: Record<string, unknown>): FastifyReply {
  const withId = messageIdDetails(reply.request, details);
  return reply.code(status).type('application/json').send({ error: withId ? { code, message, details: withId } : { code, message } });
}

function messageIdDetails(request: FastifyRequest, details: Record<string, unknown> | undefined): Record<string, unknown> | undefined {
  if (!request.routeOptions.config?.echoMessageId || details?.messageId !== undefined) return details;
  const id = (request.body as { id?: unknown } | undefined)?.id;
  return typeof id === 'string' ? { ...details, messageId: id } : details;
}

/**
 * The one error handler: Cutover errors keep their code and message; validation and parsing
 * errors become 4xx with stable codes; anything else is a 500 whose detail stays in the log.
 */
export function installErrorHandler(app: FastifyInstance): void {
  app.setErrorHandler((err: FastifyError, request, reply) => {
    if (err instanceof CutoverError) {
      if (err.statusCode >= 500) request.log.warn({ err, code: err.code }, err.message);
      if (err.retryAfterSeconds !== undefined) reply.header('retry-after', String(err.retryAfterSeconds));
      return sendError(reply, err.statusCode, err.code, err.message, err.details);
    }
    if (err.validation) {
      const where = err.validationContext ?? 'request';
      const message = err.message.replace(/must match pattern "([^"]*)"/g, (whole, pattern: string) => PATTERN_RULES.get(pattern) ?? whole);
      return sendError(reply, 400, 'INVALID_REQUEST', `${where}${message.replace(/^(body|querystring|params|headers)/, '')}`);
    }
    if (err.code === 'FST_ERR_CTP_INVALID_JSON_BODY' || (err instanceof SyntaxError && err.statusCode === 400)) {
      return sendError(reply, 400, 'INVALID_JSON', 'the body is not valid JSON');
    }
    const mapped = FASTIFY_CODES[err.code];
    if (mapped && err.statusCode && err.statusCode < 500) return sendError(reply, err.statusCode, mapped, err.message);
    if (err.statusCode && err.statusCode >= 400 && err.statusCode < 500) {
      return sendError(reply, err.statusCode, 'INVALID_REQUEST', err.message);
    }
    request.log.error({ err }, 'unexpected error');
    return sendError(reply, 500, 'INTERNAL', 'internal error; see the gateway log for this request id');
  });

  app.setNotFoundHandler((request, reply) =>
    sendError(reply, 404, 'NOT_FOUND', `no route ${request.method} ${request.url.split('?')[0]}; see /docs/json for the API`),
  );
}
