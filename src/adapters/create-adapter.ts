import type { Logger } from 'pino';
import type { SideConfig } from '../config/config-schema.js';
import { parseDuration } from '../config/duration.js';
import { AgoraRtmAdapter } from './agora-rtm/agora-rtm-adapter.js';
import { HttpLegacyAdapter } from './http-legacy-adapter.js';
import { MemoryAdapter } from './memory-adapter.js';
import type { MessagingAdapter } from './messaging-adapter.js';

/** Stand-ins at the vendor-cloud boundary (tests): a module exporting `createRtmClient` instead of the SDK. */
export interface AdapterSeams {
  rtmClientModule?: string;
}

/** The adapter a side's config names. Durations were validated by the config schema. */
export function createAdapter(config: SideConfig, logger: Logger, seams: AdapterSeams = {}): MessagingAdapter {
  switch (config.type) {
    case 'memory': {
      const adapter = new MemoryAdapter(Math.random, config.maxMessages);
      adapter.setFaults({ latencyMs: config.latencyMs, errorRate: config.errorRate });
      return adapter;
    }
    case 'http-legacy':
      return new HttpLegacyAdapter({
        baseUrl: config.baseUrl, apiKey: config.apiKey, timeoutMs: parseDuration(config.timeout)!, retries: config.retries, connections: config.connections,
      });
    case 'agora-rtm':
      return new AgoraRtmAdapter({
        appId: config.appId, userId: config.userId, token: config.token, timeoutMs: parseDuration(config.timeout)!,
        ...(config.relayChannels && { relayChannels: config.relayChannels }),
        ...(seams.rtmClientModule !== undefined && { clientModule: seams.rtmClientModule }),
      }, logger);
  }
}
