import { after, before } from 'node:test';
import { Redis } from 'ioredis';
import { MemoryMigrationStore } from '../../src/infra/memory/memory-migration-store.js';
import { RedisKeys } from '../../src/infra/redis/keys.js';
import { RedisMigrationStore } from '../../src/infra/redis/redis-migration-store.js';
import { defineScripts } from '../../src/infra/redis/scripts.js';
import { RedisServer } from '../support/redis-server.js';
import { migrationStoreContract } from './migration-store-contract.js';

let redisServer: RedisServer;
let redis: Redis;
let migrations = 0;

before(async () => {
  redisServer = await RedisServer.start();
  redis = new Redis(redisServer.url);
  defineScripts(redis);
});
after(async () => {
  redis.disconnect();
  await redisServer.destroy();
});

migrationStoreContract('memory', () => new MemoryMigrationStore());
migrationStoreContract('redis', () => new RedisMigrationStore(redis, new RedisKeys(`mig${migrations++}`)));
