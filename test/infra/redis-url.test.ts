import assert from 'node:assert/strict';
import { test } from 'node:test';
import { loadConfig } from '../../src/config/load-config.js';
import { parseRedisUrl } from '../../src/infra/redis/redis-url.js';

test('one URL names a server, a Sentinel set or a Cluster, with its password, TLS and database', () => {
  assert.deepEqual(parseRedisUrl('redis://:s3cret@redis.local:6380/2'), { mode: 'standalone', nodes: [{ host: 'redis.local', port: 6380 }], password: 's3cret', tls: false, db: 2 });
  assert.deepEqual(parseRedisUrl('rediss://redis.local'), { mode: 'standalone', nodes: [{ host: 'redis.local', port: 6379 }], tls: true, db: 0 });
  assert.deepEqual(parseRedisUrl('redis+sentinel://:pw@s1:26379,s2,[::1]:26380/cutover-main?sentinelPassword=sp'), {
    mode: 'sentinel', nodes: [{ host: 's1', port: 26379 }, { host: 's2', port: 26379 }, { host: '::1', port: 26380 }], password: 'pw', tls: false, db: 0, masterName: 'cutover-main', sentinelPassword: 'sp',
  });
  assert.deepEqual(parseRedisUrl('redis+cluster://app:p%40ss@10.0.0.1:7000,10.0.0.2:7001'), {
    mode: 'cluster', nodes: [{ host: '10.0.0.1', port: 7000 }, { host: '10.0.0.2', port: 7001 }], username: 'app', password: 'p@ss', tls: false, db: 0,
  });
});

test('a malformed Redis URL stops the boot naming the key, without showing its password', () => {
  for (const [url, why] of [
    ['redis+sentinel://s1:26379', /names the master group/],
    ['redis://a:1,b:2', /use redis\+sentinel:\/\/ or redis\+cluster:\/\//],
    ['redis+cluster://h:7000/3', /only database 0/],
    ['redis://:hunter2@h:99999', /port of "h:99999" must be 1..65535/],
  ] as const) {
    assert.throws(() => loadConfig({ env: { CUTOVER_REDIS_URL: url, CUTOVER_API_TOKENS: 'svc:0123456789abcdef' } }), (err: Error) => {
      assert.match(err.message, /config key "redis.url"/);
      assert.match(err.message, why);
      assert.doesNotMatch(err.message, /hunter2/);
      return true;
    });
  }
  assert.throws(() => loadConfig({ env: { CUTOVER_REDIS_URL: 'memcached://h' } }), /config key "redis.url"/);
});
