import * as crypto from 'node:crypto';
import type { FastifyReply, FastifyRequest, preHandlerHookHandler } from 'fastify';
import type { AdminTokenConfig, ApiTokenConfig } from '../config/config-schema.js';
import { ForbiddenError, UnauthorizedError } from '../domain/errors.js';
import type { Actor } from '../services/rollout-control.js';

export type Role = 'viewer' | 'operator' | 'service';
type AdminRole = Exclude<Role, 'service'>;

/** Operators may do what viewers and calling services may, and change things. */
const GRANTS: Record<Role, readonly Role[]> = { viewer: ['viewer'], operator: ['viewer', 'operator', 'service'], service: ['service'] };

const BEARER = /^Bearer\s+(\S+)$/i;

/** One-shot `crypto.hash` where Node has it (20.12+): no Hash object per request. */
const sha256: (text: string) => Buffer = typeof crypto.hash === 'function'
  ? (text) => crypto.hash('sha256', text, 'buffer')
  : (text) => crypto.createHash('sha256').update(text).digest();

declare module 'fastify' {
  interface FastifyRequest {
    actor?: Actor;
  }
}

interface Holder {
  digest: Buffer;
  name: string;
  role: Role;
}

/**
 * Bearer tokens with roles. Tokens are compared as SHA-256 digests with timingSafeEqual, so the
 * time taken says nothing about how much of a token was right, nor its length.
 */
export class TokenAuth {
  private readonly holders: Holder[];
  /**
   * Tokens already admitted, so a send skips the digest: only configured tokens can get in (at
   * most one entry each), and a lookup compares whole strings, so it tells nothing about a wrong one.
   */
  private readonly admitted = new Map<string, Holder>();

  /** `apiOpen`: /v1 takes anyone (the embedded default with no api.tokens); admin routes never do. */
  constructor(adminTokens: AdminTokenConfig[], apiTokens: ApiTokenConfig[] = [], private readonly apiOpen = false) {
    this.holders = [
      ...adminTokens.map((t) => ({ digest: sha256(t.token), name: t.name, role: t.role })),
      ...apiTokens.map((t) => ({ digest: sha256(t.token), name: t.name, role: 'service' as const })),
    ];
  }

  /** A preHandler that admits holders of `role` (or a role that includes it), naming them as the request's actor. */
  require(role: AdminRole) {
    return async (request: FastifyRequest, _reply: FastifyReply): Promise<void> => {
      const holder = this.admit(request.headers.authorization, role);
      // Only admin roles grant an admin role, so the holder's is one.
      request.actor = { name: holder.name, role: holder.role as AdminRole };
    };
  }

  /**
   * The guard of every /v1 route: service tokens and operators' are admitted; none at all when the
   * API is open. A callback hook, not an async one: this runs on every send.
   */
  api(): preHandlerHookHandler | undefined {
    if (this.apiOpen) return undefined;
    return (request, _reply, done) => {
      try {
        this.admit(request.headers.authorization, 'service');
      } catch (err) {
        done(err as Error);
        return;
      }
      done();
    };
  }

  private admit(header: string | undefined, role: Role): Holder {
    const match = header === undefined ? null : BEARER.exec(header);
    if (match === null) throw new UnauthorizedError(`missing bearer token: send "Authorization: Bearer <token>" (${role === 'service' ? 'a token from api.tokens' : 'CUTOVER_TOKEN for the CLI'})`);
    const token = match[1]!;
    let found = this.admitted.get(token);
    if (found === undefined) {
      const presented = sha256(token);
      // Every holder is compared, found or not, so the time does not say which one matched.
      for (const holder of this.holders) if (crypto.timingSafeEqual(holder.digest, presented)) found = holder;
      if (found !== undefined) this.admitted.set(token, found);
    }
    if (found === undefined) {
      throw new UnauthorizedError(role === 'service' ? 'unknown token; check it against api.tokens (CUTOVER_API_TOKENS)' : 'unknown token; check CUTOVER_TOKEN against admin.tokens');
    }
    if (!GRANTS[found.role].includes(role)) throw new ForbiddenError(`${found.name} has role ${found.role}; this needs ${role}`);
    return found;
  }
}
