import type { Logger } from 'pino';
import type { MemoryAdapter } from '../adapters/memory-adapter.js';
import type { Config } from '../config/load-config.js';
import type { Side } from '../domain/message.js';
import type { Metrics } from '../infra/metrics.js';
import type { BridgeIntake } from '../services/bridge-intake.js';
import type { UsageMeter } from '../services/usage-meter.js';
import type { Guard } from '../services/guard.js';
import type { ReplayGuard } from '../services/ports/replay-guard.js';
import type { MigrationControl } from '../services/migration/migration-control.js';
import type { InstrumentedAdapter } from '../services/instrumented-adapter.js';
import type { Outbox } from '../services/ports/outbox.js';
import type { StateStore } from '../services/ports/state-store.js';
import type { ReadHistory } from '../services/read-history.js';
import type { RolloutControl } from '../services/rollout-control.js';
import type { Router } from '../services/router.js';
import type { SendMessage } from '../services/send-message.js';
import type { StateView } from '../services/state-view.js';
import type { TokenAuth } from './auth.js';

export interface ReadinessReport {
  ready: boolean;
  checks: Record<string, { ok: boolean; detail?: string }>;
}

/** What the HTTP app is given by the composition root; routes take only the piece they need. */
export interface AppServices {
  config: Config;
  /** This process, as logs, metrics and the outbox's consumer group know it. */
  instanceId: string;
  logger: Logger;
  metrics: Metrics;
  stateView: StateView;
  stateStore: StateStore;
  router: Router;
  sendMessage: SendMessage;
  readHistory: ReadHistory;
  control: RolloutControl;
  outbox: Outbox;
  sides: Record<Side, InstrumentedAdapter>;
  auth: TokenAuth;
  guard: Guard;
  migration: MigrationControl;
  bridge: BridgeIntake;
  usage: UsageMeter;
  replayGuard: ReplayGuard;
  readiness(): Promise<ReadinessReport>;
  /** The memory adapter behind a side, when it is one (run-time fault injection for drills). */
  memorySide(side: Side): MemoryAdapter | undefined;
}

declare module 'fastify' {
  interface FastifyInstance {
    services: AppServices;
  }
}
