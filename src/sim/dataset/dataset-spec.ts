/** What the simulator is told to generate: the dataset is a pure function of these values. */
export interface DatasetSpec {
  /** Any uint32; the same seed and sizes give the same data, byte for byte. */
  seed: number;
  users: number;
  /** Total messages of the generated past, over every conversation (user pairs and channels). */
  messages: number;
  /** Groups (channel conversations), each with 2..maxGroupSize members. */
  groups: number;
  /** Each user has 2 × this many possible peers (contacts and user conversations). */
  peersPerUser: number;
  maxGroupSize: number;
}

export const DEFAULT_DATASET_SPEC: Readonly<DatasetSpec> = {
  seed: 1,
  users: 0,
  messages: 0,
  groups: 0,
  peersPerUser: 8,
  maxGroupSize: 5_000,
};

/**
 * Bounds that keep every index below 2^32 and every modular product below 2^53, and the per-user
 * work (a scan over the groups) small; nothing is allocated per user or per message.
 */
export const DATASET_LIMITS: Readonly<Record<keyof DatasetSpec, readonly [number, number]>> = {
  seed: [0, 4_294_967_295],
  users: [0, 10_000_000],
  messages: [0, 1_000_000_000],
  groups: [0, 100_000],
  peersPerUser: [0, 64],
  maxGroupSize: [2, 100_000],
};

export const DATASET_SPEC_KEYS = Object.keys(DEFAULT_DATASET_SPEC) as ReadonlyArray<keyof DatasetSpec>;

export class DatasetSpecError extends Error {
  readonly code = 'bad_dataset';
}

/** Fills defaults and checks every field; throws a DatasetSpecError naming the field. */
export function datasetSpec(partial: Partial<DatasetSpec> = {}): DatasetSpec {
  const unknown = Object.keys(partial).filter((key) => !(DATASET_SPEC_KEYS as readonly string[]).includes(key));
  if (unknown.length > 0) throw new DatasetSpecError(`unknown dataset field: ${unknown.join(', ')} (allowed: ${DATASET_SPEC_KEYS.join(', ')})`);
  const spec = { ...DEFAULT_DATASET_SPEC };
  for (const key of DATASET_SPEC_KEYS) {
    const value = partial[key];
    if (value === undefined) continue;
    const [min, max] = DATASET_LIMITS[key];
    if (!Number.isInteger(value) || value < min || value > max) {
      throw new DatasetSpecError(`dataset ${key} must be an integer from ${min} to ${max}, got ${JSON.stringify(value)}`);
    }
    spec[key] = value;
  }
  if (spec.groups > 0 && spec.users < 2) throw new DatasetSpecError('dataset groups need at least 2 users');
  if (spec.messages > 0 && peerSlots(spec) === 0 && spec.groups === 0) {
    throw new DatasetSpecError('dataset messages need conversations: at least 3 users with peersPerUser >= 1, or groups >= 1');
  }
  return spec;
}

/** Peers on each side of a user: distinct offsets from 1 to (users - 1) / 2, so no pair repeats. */
export function peerSlots(spec: Pick<DatasetSpec, 'users' | 'peersPerUser'>): number {
  return Math.max(0, Math.min(spec.peersPerUser, Math.floor((spec.users - 1) / 2)));
}

/** The simulator's command-line flag for each field (src/sim/legacy-im-server.ts). */
export const DATASET_FLAGS: Readonly<Record<keyof DatasetSpec, string>> = {
  seed: '--seed',
  users: '--users',
  messages: '--messages',
  groups: '--groups',
  peersPerUser: '--peers-per-user',
  maxGroupSize: '--max-group-size',
};

/** The flags that give a simulator child process this (partial) spec. */
export function datasetArgs(spec: Partial<DatasetSpec> = {}): string[] {
  const args: string[] = [];
  for (const key of DATASET_SPEC_KEYS) {
    const value = spec[key];
    if (value !== undefined) args.push(DATASET_FLAGS[key], String(value));
  }
  return args;
}
