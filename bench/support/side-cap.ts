/**
 * Messages each memory side keeps in the throughput bench, the bare server's included. The memory
 * side stands in for a vendor's cloud: left to grow to its default million, its garbage collection
 * is what a run measures, and it swings rounds by tens of percent. Capped, every run after the
 * first is at steady state, for every row alike.
 */
export const BENCH_SIDE_MESSAGES = 20_000;
