import type { AudienceNode } from '../../lib/audience-tree.ts';
import { newKey, type FormItem, type GroupForm, type GroupItem } from './group-form.ts';
import { behaviorOf, profileOf, type Node } from './leaf-parse.ts';
import { behaviorNode, isBehaviorComplete, isComplete, profileNode } from './two-group.ts';

/**
 * Any saved tree back into the builder's form, group by group as deep as it goes, so that
 * groupFormToTree(treeToForm(t)) = t for every tree the API accepts. A condition becomes a row
 * only when that row writes the very same node again; otherwise it is kept as saved (`fixed`,
 * shown read-only with the reason), so opening and saving never loses or changes a condition.
 */

/** The same JSON value (object keys in any order; a key set to undefined counts as absent). */
export const sameNode = (a: unknown, b: unknown): boolean => {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a) && Array.isArray(b))
    return a.length === b.length && a.every((x, i) => sameNode(x, b[i]));
  const ka = Object.keys(a).filter((k) => (a as Node)[k] !== undefined);
  const kb = Object.keys(b).filter((k) => (b as Node)[k] !== undefined);
  return ka.length === kb.length && ka.every((k) => sameNode((a as Node)[k], (b as Node)[k]));
};

const fixed = (node: AudienceNode): FormItem => ({ type: 'fixed', key: newKey(), negate: false, node });

/** A condition (not a group) as a row, when the row is complete and writes the same node back. */
const leafItem = (node: AudienceNode): FormItem => {
  const n = node as unknown as Node;
  switch (node.kind) {
    case 'audience':
      return { type: 'audience', key: newKey(), negate: false, id: node.id };
    case 'bucket':
      return { type: 'bucket', key: newKey(), negate: false, salt: node.salt, min: node.min, max: node.max };
    case 'attribute':
    case 'score': {
      const c = profileOf(n);
      return c !== null && isComplete(c) && sameNode(profileNode(c), node)
        ? { type: 'profile', key: newKey(), c }
        : fixed(node);
    }
    default: {
      const c = behaviorOf(n);
      return c !== null && isBehaviorComplete(c) && sameNode(behaviorNode(c), node)
        ? { type: 'behavior', key: newKey(), c }
        : fixed(node);
    }
  }
};

const groupOf = (kind: 'and' | 'or', children: readonly AudienceNode[], negate: boolean): GroupItem => ({
  type: 'group',
  key: newKey(),
  negate,
  combinator: kind,
  items: children.map(itemOf),
});

/** An item excluded; one already excluded goes into an excluded group of its own (`not (not x)`). */
const negated = (item: FormItem): FormItem => {
  const twice: FormItem = {
    type: 'group',
    key: newKey(),
    negate: true,
    combinator: 'and',
    items: [item],
    single: true,
  };
  if (item.type === 'profile' || item.type === 'behavior')
    return item.c.negate ? twice : ({ ...item, c: { ...item.c, negate: true } } as FormItem);
  return item.negate ? twice : { ...item, negate: true };
};

const itemOf = (node: AudienceNode): FormItem => {
  if (node.kind === 'and' || node.kind === 'or') return groupOf(node.kind, node.children, false);
  if (node.kind === 'not') return negated(itemOf(node.child));
  return leafItem(node);
};

export const treeToForm = (tree: AudienceNode): GroupForm => {
  const rootGroup =
    tree.kind === 'not' && (tree.child.kind === 'and' || tree.child.kind === 'or') ? tree.child : tree;
  if (rootGroup.kind === 'and' || rootGroup.kind === 'or') {
    return {
      root: groupOf(rootGroup.kind, rootGroup.children, rootGroup !== tree),
      ...(rootGroup.children.length === 1 ? { keepSingle: true } : {}),
    };
  }
  return {
    root: { type: 'group', key: newKey(), negate: false, combinator: 'and', items: [itemOf(tree)] },
  };
};

/** Conditions kept as saved (shown read-only): the form shows them but cannot change them. */
export const fixedCount = (g: GroupItem): number =>
  g.items.reduce((n, i) => n + (i.type === 'fixed' ? 1 : i.type === 'group' ? fixedCount(i) : 0), 0);
