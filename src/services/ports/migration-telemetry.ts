import type { JobMode, JobProgress } from '../../domain/migration/job.js';
import type { MismatchKind } from '../../domain/migration/mismatch.js';

export type MigrationItem = 'message' | 'member' | 'user' | 'group' | 'conversation';
export type MigrationOutcome = 'created' | 'existing' | 'written' | 'verified' | 'missing';

/** What the migration job reports as it works; the metrics registry implements it. */
export interface MigrationTelemetry {
  migrationItems(mode: JobMode, item: MigrationItem, outcome: MigrationOutcome, count: number): void;
  migrationMismatches(kind: MismatchKind, count: number, fixed: number): void;
  /** A call to a side failed and will be tried again (`retry`) or the unit was put back (`unit_failed`). */
  migrationError(side: 'old' | 'new', what: 'retry' | 'unit_failed'): void;
  /** The fleet-wide job as this instance last read it (null: none ever ran). */
  migrationProgress(progress: JobProgress | null, etaSeconds: number | null, verifiedUsers: number): void;
}

export const NO_MIGRATION_TELEMETRY: MigrationTelemetry = {
  migrationItems() {},
  migrationMismatches() {},
  migrationError() {},
  migrationProgress() {},
};
