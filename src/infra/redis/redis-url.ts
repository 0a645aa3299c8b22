/**
 * What a Redis URL names. One variable (`CUTOVER_REDIS_URL`) carries all three deployments:
 *   redis://[:password@]host:6379[/db]                       one server (rediss:// for TLS)
 *   redis+sentinel://[:password@]host:26379,host:26379/name   a Sentinel set watching master `name`
 *   redis+cluster://[:password@]host:7000,host:7001           seed nodes of a Redis Cluster
 * The password is the data nodes' (Sentinels are asked without one unless the URL says
 * `?sentinelPassword=`).
 */
export type RedisMode = 'standalone' | 'sentinel' | 'cluster';

export interface RedisTarget {
  mode: RedisMode;
  nodes: Array<{ host: string; port: number }>;
  username?: string;
  password?: string;
  tls: boolean;
  db: number;
  /** Sentinel only: the master group the Sentinels watch. */
  masterName?: string;
  sentinelPassword?: string;
}

export class RedisUrlError extends Error {}

const SCHEMES: Record<string, { mode: RedisMode; tls: boolean; port: number }> = {
  'redis:': { mode: 'standalone', tls: false, port: 6379 },
  'rediss:': { mode: 'standalone', tls: true, port: 6379 },
  'redis+sentinel:': { mode: 'sentinel', tls: false, port: 26379 },
  'rediss+sentinel:': { mode: 'sentinel', tls: true, port: 26379 },
  'redis+cluster:': { mode: 'cluster', tls: false, port: 6379 },
  'rediss+cluster:': { mode: 'cluster', tls: true, port: 6379 },
};

export function parseRedisUrl(url: string): RedisTarget {
  const scheme = /^([a-z+]+:)\/\//.exec(url)?.[1];
  const kind = scheme === undefined ? undefined : SCHEMES[scheme];
  if (kind === undefined) throw new RedisUrlError(`a Redis URL starts with ${Object.keys(SCHEMES).map((s) => `${s}//`).join(', ')}`);
  // Several hosts do not fit WHATWG URL parsing: take the authority apart by hand.
  const rest = url.slice(scheme!.length + 2);
  const at = rest.lastIndexOf('@', rest.search(/[/?]|$/));
  const auth = at >= 0 ? rest.slice(0, at) : '';
  const afterAuth = at >= 0 ? rest.slice(at + 1) : rest;
  const pathStart = afterAuth.search(/[/?]|$/);
  const hostList = afterAuth.slice(0, pathStart);
  const tail = new URL(`http://x${afterAuth.slice(pathStart)}`);
  const nodes = hostList.split(',').filter(Boolean).map((entry) => hostPort(entry, kind.port));
  if (nodes.length === 0) throw new RedisUrlError('a Redis URL names at least one host');
  if (kind.mode === 'standalone' && nodes.length > 1) throw new RedisUrlError('redis:// names one server; use redis+sentinel:// or redis+cluster:// for several hosts');
  const [user, ...pass] = auth.split(':');
  const target: RedisTarget = { mode: kind.mode, nodes, tls: kind.tls, db: 0 };
  if (user) target.username = decodeURIComponent(user);
  if (pass.length > 0) target.password = decodeURIComponent(pass.join(':'));
  const path = tail.pathname.replace(/^\/+/, '');
  if (kind.mode === 'sentinel') {
    if (!path) throw new RedisUrlError('a redis+sentinel:// URL names the master group: redis+sentinel://host:26379/mymaster');
    target.masterName = decodeURIComponent(path);
    const sentinelPassword = tail.searchParams.get('sentinelPassword');
    if (sentinelPassword) target.sentinelPassword = sentinelPassword;
  } else if (path) {
    if (kind.mode === 'cluster') throw new RedisUrlError('a Redis Cluster has only database 0: drop the path');
    if (!/^\d+$/.test(path)) throw new RedisUrlError(`the database is a number, got "${path}"`);
    target.db = Number(path);
  }
  return target;
}

function hostPort(entry: string, defaultPort: number): { host: string; port: number } {
  const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(entry);
  const match = bracketed ?? /^([^:]+)(?::(\d+))?$/.exec(entry);
  if (!match) throw new RedisUrlError(`"${entry}" is not host or host:port`);
  const port = match[2] === undefined ? defaultPort : Number(match[2]);
  if (!Number.isInteger(port) || port < 1 || port > 65_535) throw new RedisUrlError(`port of "${entry}" must be 1..65535`);
  return { host: match[1]!, port };
}

/** The URL with its password replaced, for messages and logs. */
export function redactRedisUrl(url: string): string {
  return url.replace(/\/\/([^/?#@:]*):[^/?#@]*@/, '//$1:***@');
}

/** For command lines: the URL as given if it parses, else an error that says which forms there are. */
export function checkRedisUrl(url: string): string {
  parseRedisUrl(url);
  return url;
}
