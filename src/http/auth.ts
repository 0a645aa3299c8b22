import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { AdminTokenConfig } from '../config/config-schema.js';
import { ForbiddenError, UnauthorizedError } from '../domain/errors.js';
import type { Actor } from '../services/rollout-control.js';

export type Role = 'viewer' | 'operator';

/** Operators may do what viewers may, and change things. */
const GRANTS: Record<Role, readonly Role[]> = { viewer: ['viewer'], operator: ['viewer', 'operator'] };

declare module 'fastify' {
  interface FastifyRequest {
    actor?: Actor;
  }
}

/**
 * Bearer tokens with roles. Tokens are compared as SHA-256 digests with timingSafeEqual, so the
 * time taken says nothing about how much of a token was right, nor its length.
 */
export class TokenAuth {
  private readonly holders: Array<{ digest: Buffer; name: string; role: Role }>;

  constructor(tokens: AdminTokenConfig[]) {
    this.holders = tokens.map((t) => ({ digest: digest(t.token), name: t.name, role: t.role }));
  }

  /** A preHandler that admits holders of `role` (or a role that includes it). */
  require(role: Role) {
    return async (request: FastifyRequest, _reply: FastifyReply): Promise<void> => {
      const header = request.headers.authorization;
      const match = header ? /^Bearer\s+(\S+)$/i.exec(header) : null;
      if (!match) throw new UnauthorizedError('missing bearer token: send "Authorization: Bearer <token>" (CUTOVER_TOKEN for the CLI)');
      const presented = digest(match[1]!);
      let found: (typeof this.holders)[number] | undefined;
      for (const holder of this.holders) if (timingSafeEqual(holder.digest, presented)) found = holder;
      if (!found) throw new UnauthorizedError('unknown token; check CUTOVER_TOKEN against admin.tokens');
      if (!GRANTS[found.role].includes(role)) {
        throw new ForbiddenError(`${found.name} has role ${found.role}; this needs ${role}`);
      }
      request.actor = { name: found.name, role: found.role };
    };
  }
}

function digest(token: string): Buffer {
  return createHash('sha256').update(token).digest();
}
