import type { SideConfig } from '../config/config-schema.js';
import { parseDuration } from '../config/duration.js';
import { AgoraRtmAdapter } from './agora-rtm/agora-rtm-adapter.js';
import { HttpLegacyMigrationSide } from './http-legacy-migration-side.js';
import { MemoryAdapter } from './memory-adapter.js';
import { MemoryMigrationSide } from './memory-migration-side.js';
import type { MessagingAdapter } from './messaging-adapter.js';
import type { MigrationWriter } from './migration-side.js';

/**
 * The migration side of a configured side, beside its live adapter: a memory side shares the
 * adapter's store, an Agora side its worker (RTM allows one client per process).
 */
export function createMigrationSide(config: SideConfig, adapter: MessagingAdapter): MigrationWriter {
  switch (config.type) {
    case 'memory':
      return new MemoryMigrationSide(adapter as MemoryAdapter);
    case 'http-legacy':
      return new HttpLegacyMigrationSide({
        baseUrl: config.baseUrl, apiKey: config.apiKey, timeoutMs: parseDuration(config.timeout)!, retries: config.retries, connections: config.connections,
      });
    case 'agora-rtm':
      return (adapter as AgoraRtmAdapter).migrationSide();
  }
}
