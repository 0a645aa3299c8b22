/**
 * One difference verification found between the sides: what differs, where (the unit's key and a
 * readable place), which item, and what each side holds (null = nothing). `fixed` is set once a
 * re-drive wrote the old side's version and a second read found the sides equal.
 */
export type MismatchKind =
  | 'message_missing_on_new'
  | 'message_missing_on_old'
  | 'message_content'
  | 'user_missing_on_new'
  | 'profile'
  | 'contact'
  | 'block'
  | 'settings'
  | 'read_position'
  | 'group_missing_on_new'
  | 'group'
  | 'member';

export interface Mismatch {
  kind: MismatchKind;
  unit: string;
  /** e.g. `conversation alice↔bob`, `user alice`, `group g-7`. */
  where: string;
  /** The message id, contact or member user id, read position's conversation; absent for a whole record. */
  item?: string;
  old: unknown;
  new: unknown;
  fixed?: boolean;
}

/** Mismatch kinds a re-drive cannot repair by writing the old version: the new side keeps the first copy of an id. */
export function repairable(kind: MismatchKind): boolean {
  return kind !== 'message_content' && kind !== 'message_missing_on_old';
}
