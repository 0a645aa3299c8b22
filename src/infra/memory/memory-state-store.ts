import type { RolloutState } from '../../domain/rollout-state.js';
import type { AuditEntry, CasResult, StateStore } from '../../services/ports/state-store.js';

/** The state record in process memory: the embedded default (one instance, not durable). */
export class MemoryStateStore implements StateStore {
  private state: RolloutState | null = null;
  private readonly entries: Array<AuditEntry & { id: string }> = [];
  private readonly listeners = new Set<(state: RolloutState) => void>();
  private sequence = 0;
  private loss: { by: string; at: string } | null = null;

  constructor(private readonly auditMaxLen = 10_000) {}

  async read(): Promise<RolloutState | null> {
    return this.state;
  }

  async compareAndSet(expectedVersion: number, next: RolloutState, audit: AuditEntry, options: { unlessLossNoted?: boolean } = {}): Promise<CasResult> {
    if ((this.state?.version ?? 0) !== expectedVersion) return { ok: false, current: this.state };
    if (expectedVersion === 0 && options.unlessLossNoted && this.loss) return { ok: false, current: null, lossNoted: true };
    this.state = next;
    this.entries.push({ id: `${Date.now()}-${this.sequence++}`, ...audit });
    if (this.entries.length > this.auditMaxLen) this.entries.shift();
    for (const listener of this.listeners) listener(next);
    return { ok: true, state: next };
  }

  subscribe(onChange: (state: RolloutState) => void): () => void {
    this.listeners.add(onChange);
    return () => this.listeners.delete(onChange);
  }

  async noteLoss(by: string, at: string): Promise<void> {
    this.loss = { by, at };
  }

  async lossNoted(): Promise<{ by: string; at: string } | null> {
    return this.loss;
  }

  async clearLoss(): Promise<void> {
    this.loss = null;
  }

  async appendAudit(entry: AuditEntry): Promise<void> {
    this.entries.push({ id: `${Date.now()}-${this.sequence++}`, ...entry });
    if (this.entries.length > this.auditMaxLen) this.entries.shift();
  }

  async audit(limit: number, beforeId?: string): Promise<Array<AuditEntry & { id: string }>> {
    const newestFirst = [...this.entries].reverse();
    const start = beforeId ? newestFirst.findIndex((e) => e.id === beforeId) + 1 : 0;
    return newestFirst.slice(start, start + limit);
  }

  async close(): Promise<void> {
    this.listeners.clear();
  }
}
