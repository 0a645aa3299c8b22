import murmurhash3 from 'murmurhash3js';

/** Buckets run 1..10000 so a rollout can move in 0.01 % steps. */
export const BUCKETS = 10_000;

/**
 * A user's (or channel's) sticky bucket. The same hash as Unleash's flexibleRollout
 * (murmurhash3 x86 32-bit of `groupId:id`, seed 0, through the same library, so ids with
 * non-ASCII characters hash exactly as unleash-client hashes them). The first two digits
 * are Unleash's `h % 100`, so at whole percents the cohort is exactly Unleash's.
 */
export function bucketOf(groupId: string, id: string): number {
  const h = murmurhash3.x86.hash32(`${groupId}:${id}`, 0);
  return (h % 100) * 100 + (Math.floor(h / 100) % 100) + 1;
}

/** Buckets at or below this are in the cohort at `percent` (0..100, two decimals). */
export function cohortLimit(percent: number): number {
  return Math.round(percent * 100);
}

/** Raising the percent only ever adds buckets: the set is a prefix of 1..10000. */
export function inRollout(bucket: number, percent: number): boolean {
  return bucket <= cohortLimit(percent);
}
