/**
 * Waits until the current UTC minute has at least `ms` left, so what a test does next falls in one
 * minute (the usage meter counts users online per minute); returns that minute since the epoch.
 */
export async function awayFromMinuteEnd(ms: number): Promise<number> {
  const left = 60_000 - (Date.now() % 60_000);
  if (left < ms) await new Promise((r) => setTimeout(r, left + 50));
  return Math.floor(Date.now() / 60_000);
}
