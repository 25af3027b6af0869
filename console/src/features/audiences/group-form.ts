import type { AudienceNode } from '../../lib/audience-tree.ts';
import {
  behaviorNode,
  isBehaviorComplete,
  isComplete,
  profileNode,
  type BehaviorCondition,
  type Combinator,
  type ProfileCondition,
} from './two-group.ts';

/**
 * The builder's form as a tree of groups, as deep as the audience: each group is an AND or OR
 * of conditions and sub-groups, and any of them can be excluded (NOT). Conditions are the rows
 * of two-group.ts (profile and behaviour), a saved audience by reference, a random bucket, or a
 * condition kept exactly as saved (`fixed`) when no row can show all of it: it is never dropped.
 */
export interface GroupItem {
  type: 'group';
  key: string;
  negate: boolean;
  combinator: Combinator;
  items: FormItem[];
  /** A group that was a bare exclusion of an exclusion (`not (not x)`): written so while it holds one row. */
  single?: boolean;
}
export type FormItem =
  | GroupItem
  | { type: 'profile'; key: string; c: ProfileCondition }
  | { type: 'behavior'; key: string; c: BehaviorCondition }
  | { type: 'audience'; key: string; negate: boolean; id: string }
  | { type: 'bucket'; key: string; negate: boolean; salt: string; min: number; max: number }
  | { type: 'fixed'; key: string; negate: boolean; node: AudienceNode };

export interface GroupForm {
  root: GroupItem;
  /**
   * The saved tree was a group of one condition (`and [x]`): written back as a group. A root of
   * one condition is otherwise written as that condition alone.
   */
  keepSingle?: boolean;
}

let counter = 0;
/** React keys for rows (never part of the tree). */
export const newKey = (): string => `k${(counter += 1)}`;

export const newGroup = (items: FormItem[] = []): GroupItem => ({
  type: 'group',
  key: newKey(),
  negate: false,
  combinator: 'and',
  items,
});

export const emptyGroupForm = (): GroupForm => ({ root: newGroup() });

const not = (negate: boolean, node: AudienceNode): AudienceNode =>
  negate ? { kind: 'not', child: node } : node;

/** One item as a node, or undefined while it is still being filled in (left out, not sent half-made). */
const itemNode = (item: FormItem): AudienceNode | undefined => {
  switch (item.type) {
    case 'profile':
      return isComplete(item.c) ? not(item.c.negate, profileNode(item.c)) : undefined;
    case 'behavior':
      return isBehaviorComplete(item.c) ? not(item.c.negate, behaviorNode(item.c)) : undefined;
    case 'audience':
      return item.id === '' ? undefined : not(item.negate, { kind: 'audience', id: item.id });
    case 'bucket':
      return not(item.negate, { kind: 'bucket', salt: item.salt, min: item.min, max: item.max });
    case 'fixed':
      return not(item.negate, item.node);
    case 'group': {
      const children = item.items.map(itemNode).filter((n): n is AudienceNode => n !== undefined);
      // A group whose rows are all unfinished places no condition; one saved empty stays as it was.
      if (children.length === 0 && item.items.length > 0) return undefined;
      if (item.single === true && children.length === 1) return not(item.negate, children[0] as AudienceNode);
      return not(item.negate, { kind: item.combinator, children });
    }
  }
};

export const groupFormToTree = (form: GroupForm): AudienceNode => {
  const { root } = form;
  const children = root.items.map(itemNode).filter((n): n is AudienceNode => n !== undefined);
  if (children.length === 1 && form.keepSingle !== true) return not(root.negate, children[0] as AudienceNode);
  return not(root.negate, { kind: root.combinator, children });
};

/** Every row of the form in display order (for numbering rows and finding names). */
export const allItems = (g: GroupItem): FormItem[] =>
  g.items.flatMap((i) => (i.type === 'group' ? [i, ...allItems(i)] : [i]));

/** The form with one item (by key) replaced, or removed when `next` is null. */
export const replaceItem = (g: GroupItem, key: string, next: FormItem | null): GroupItem => ({
  ...g,
  items: g.items.flatMap((i): FormItem[] => {
    if (i.key === key) return next === null ? [] : [next];
    return [i.type === 'group' ? replaceItem(i, key, next) : i];
  }),
});

/** Every profile and behaviour condition changed by `f` (e.g. a misspelt name replaced). */
export const mapConditions = (
  g: GroupItem,
  f: {
    profile: (c: ProfileCondition) => ProfileCondition;
    behavior: (c: BehaviorCondition) => BehaviorCondition;
  },
): GroupItem => ({
  ...g,
  items: g.items.map((i): FormItem => {
    if (i.type === 'group') return mapConditions(i, f);
    if (i.type === 'profile') return { ...i, c: f.profile(i.c) };
    if (i.type === 'behavior') return { ...i, c: f.behavior(i.c) };
    return i;
  }),
});
