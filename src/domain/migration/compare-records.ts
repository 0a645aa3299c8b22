import type { Mismatch, MismatchKind } from './mismatch.js';
import type { GroupRecord, Member, UserData } from './records.js';

/**
 * Item-by-item comparison of what is not a message. Lists are compared as sets keyed by their
 * natural id (a contact by its user, a read position by its conversation), so order never matters;
 * records are compared field by field after a canonical form (object keys sorted, mutes by key).
 */
export function compareUserData(where: { unit: string; where: string }, old: UserData | null, fresh: UserData | null): Mismatch[] {
  if (old === null && fresh === null) return [];
  // Gone from old since it was listed: new keeps what it has, and the report says so.
  if (old === null) return [{ ...where, kind: 'profile', old: null, new: (fresh as UserData).profile }];
  if (fresh === null) return [{ ...where, kind: 'user_missing_on_new', old: old.profile, new: null }];
  const found: Mismatch[] = [];
  if (canonical(old.profile) !== canonical(fresh.profile)) found.push({ ...where, kind: 'profile', old: old.profile, new: fresh.profile });
  found.push(...compareKeyed(where, 'contact', old.contacts, fresh.contacts, (c) => c.userId));
  found.push(...compareKeyed(where, 'block', old.blocklist, fresh.blocklist, (b) => b.userId));
  const settings = (s: UserData['settings']) => canonical({ ...s, mutes: [...s.mutes].sort((x, y) => compareText(`${x.type}:${x.id}`, `${y.type}:${y.id}`)) });
  if (settings(old.settings) !== settings(fresh.settings)) found.push({ ...where, kind: 'settings', old: old.settings, new: fresh.settings });
  found.push(...compareKeyed(where, 'read_position', old.readPositions, fresh.readPositions, (r) => `${r.type}:${r.id}`));
  return found;
}

export function compareGroup(where: { unit: string; where: string }, old: GroupRecord | null, fresh: GroupRecord | null): Mismatch[] {
  if (old === null) return [];
  if (fresh === null) return [{ ...where, kind: 'group_missing_on_new', old, new: null }];
  return canonical(old) === canonical(fresh) ? [] : [{ ...where, kind: 'group', old, new: fresh }];
}

export function compareMembers(where: { unit: string; where: string }, old: readonly Member[], fresh: readonly Member[]): Mismatch[] {
  return compareKeyed(where, 'member', old, fresh, (m) => m.userId);
}

/** Items present on one side only, or different, each as one mismatch named by its key. */
export function compareKeyed<T>(where: { unit: string; where: string }, kind: MismatchKind, old: readonly T[], fresh: readonly T[], keyOf: (item: T) => string): Mismatch[] {
  const onNew = new Map(fresh.map((item) => [keyOf(item), item]));
  const found: Mismatch[] = [];
  for (const item of old) {
    const key = keyOf(item);
    const other = onNew.get(key);
    onNew.delete(key);
    if (other === undefined) found.push({ ...where, kind, item: key, old: item, new: null });
    else if (canonical(item) !== canonical(other)) found.push({ ...where, kind, item: key, old: item, new: other });
  }
  for (const [key, item] of onNew) found.push({ ...where, kind, item: key, old: null, new: item });
  return found;
}

/** JSON with object keys sorted and undefined fields dropped: equal for equal records whatever their key order. */
export function canonical(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => {
    if (v === null || typeof v !== 'object' || Array.isArray(v)) return v;
    const sorted: Record<string, unknown> = {};
    for (const key of Object.keys(v).sort()) sorted[key] = (v as Record<string, unknown>)[key];
    return sorted;
  });
}

function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
