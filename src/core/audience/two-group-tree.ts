import type { AudienceNode } from './schema.ts';

/**
 * The joining half of the two-group form (two-group.ts): two groups of conditions already
 * checked, combined into one tree. It imports nothing at run time, so the console's audience
 * builder runs this very function in the browser and its live count means what the server
 * saves.
 */
export interface TwoGroupItem {
  negate?: boolean;
  condition: AudienceNode;
}
export interface TwoGroup {
  combinator: 'and' | 'or';
  conditions: readonly TwoGroupItem[];
}
export interface TwoGroups {
  profile: TwoGroup;
  behavior: TwoGroup;
  join: 'and' | 'or' | 'and_not';
}

const groupNode = (group: TwoGroup): AudienceNode | undefined => {
  const items = group.conditions.map((c): AudienceNode =>
    c.negate ? { kind: 'not', child: c.condition } : c.condition,
  );
  if (items.length === 0) return undefined;
  if (items.length === 1) return items[0];
  return { kind: group.combinator, children: items };
};

/**
 * An empty group places no condition (so an empty behaviour group leaves the profile group
 * alone, whatever the join); two empty groups are everyone (`and []`).
 */
export const joinTwoGroups = (form: TwoGroups): AudienceNode => {
  const profile = groupNode(form.profile);
  const behavior = groupNode(form.behavior);
  if (profile === undefined && behavior === undefined) return { kind: 'and', children: [] };
  if (behavior === undefined) return profile as AudienceNode;
  const right: AudienceNode = form.join === 'and_not' ? { kind: 'not', child: behavior } : behavior;
  if (profile === undefined) return right;
  return { kind: form.join === 'or' ? 'or' : 'and', children: [profile, right] };
};
