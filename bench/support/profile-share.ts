/** The parts of a V8 `.cpuprofile` (what `node --cpu-prof` writes) that a share needs. */
export interface CpuProfile {
  nodes: Array<{ id: number; callFrame: { functionName: string; url: string }; children?: number[] }>;
  /** Microseconds, on the monotonic clock `process.hrtime` reads. */
  startTime: number;
  samples: number[];
  timeDeltas: number[];
}

export interface ProfileShare {
  /** Samples in the window on CPU (not `(idle)`). */
  busy: number;
  /** Of those, samples with a matching frame anywhere on their stack. */
  matching: number;
  share: number;
}

/**
 * The share of the CPU samples taken in [fromUs, toUs] whose stack holds a frame `matches`
 * (inclusive: time in what that code calls counts too). Idle samples are not CPU and are left out.
 */
export function profileShare(profile: CpuProfile, matches: (url: string) => boolean, fromUs: number, toUs: number): ProfileShare {
  const parent = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const idle = new Set(profile.nodes.filter((node) => node.callFrame.functionName === '(idle)').map((node) => node.id));
  // Whether a node or one of its callers matches, once per node.
  const within = new Map<number, boolean>();
  const inside = (id: number): boolean => {
    const known = within.get(id);
    if (known !== undefined) return known;
    const node = byId.get(id);
    const up = parent.get(id);
    const answer = node !== undefined && (matches(node.callFrame.url) || (up !== undefined && inside(up)));
    within.set(id, answer);
    return answer;
  };
  let at = profile.startTime;
  let busy = 0;
  let matching = 0;
  for (let i = 0; i < profile.samples.length; i++) {
    at += profile.timeDeltas[i] ?? 0;
    const id = profile.samples[i]!;
    if (at < fromUs || at > toUs || idle.has(id)) continue;
    busy++;
    if (inside(id)) matching++;
  }
  return { busy, matching, share: busy > 0 ? matching / busy : Number.NaN };
}
