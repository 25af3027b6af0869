import { Type, type Static, type TSchema } from '@sinclair/typebox';
import { err, ok, type Result } from '../result.ts';
import { AudienceNode, type AudienceError, type NodeKind } from './schema.ts';
import { joinTwoGroups } from './two-group-tree.ts';
import { validateWith } from './validate.ts';

/**
 * The console's form: a profile group and a behaviour group, each a list of (optionally negated)
 * conditions combined by AND or OR, the two groups joined by AND, OR or AND NOT. It is one shape
 * of the tree; `twoGroupToTree` converts it, so the evaluation order is the tree's, never the
 * order conditions were clicked in.
 */
const shape = <N extends TSchema>(Node: N) => {
  const Item = Type.Object(
    { negate: Type.Optional(Type.Boolean()), condition: Node },
    { additionalProperties: false },
  );
  const Group = Type.Object(
    {
      combinator: Type.Union([Type.Literal('and'), Type.Literal('or')]),
      conditions: Type.Array(Item, { maxItems: 200 }),
    },
    { additionalProperties: false },
  );
  return Type.Object(
    {
      profile: Group,
      behavior: Group,
      join: Type.Union([Type.Literal('and'), Type.Literal('or'), Type.Literal('and_not')], {
        description: 'and_not: profile group AND NOT behaviour group',
      }),
    },
    { additionalProperties: false },
  );
};

/** For OpenAPI: conditions refer to the registered `AudienceNode` schema. */
export const TwoGroupAudience = shape(Type.Unsafe<AudienceNode>(Type.Ref('AudienceNode')));
export type TwoGroupAudience = Static<typeof TwoGroupAudience>;
const CheckedTwoGroupAudience = shape(AudienceNode);

const PROFILE_KINDS: ReadonlySet<NodeKind> = new Set(['attribute', 'score', 'bucket']);
const BEHAVIOUR_KINDS: ReadonlySet<NodeKind> = new Set([
  'did',
  'did_not',
  'metric',
  'first_time',
  'last_time',
  'sequence',
  'cart_abandoned',
]);

/** The first leaf of the wrong family under a node (saved audiences may hold either). */
const misplaced = (node: AudienceNode, allowed: ReadonlySet<NodeKind>, path: string): string | undefined => {
  if (node.kind === 'and' || node.kind === 'or') {
    for (const [i, c] of node.children.entries()) {
      const found = misplaced(c, allowed, `${path}.children[${i}]`);
      if (found !== undefined) return found;
    }
    return undefined;
  }
  if (node.kind === 'not') return misplaced(node.child, allowed, `${path}.child`);
  if (node.kind === 'audience' || allowed.has(node.kind)) return undefined;
  return path;
};

/**
 * Converts the two-group form to a tree: checks it, then joins the groups (two-group-tree.ts,
 * shared with the console).
 */
export const twoGroupToTree = (input: unknown): Result<AudienceNode, AudienceError[]> => {
  const valid = validateWith<TwoGroupAudience>(CheckedTwoGroupAudience, input, 'form');
  if (!valid.ok) return valid;
  const form = valid.value;
  const errors: AudienceError[] = [];
  for (const [name, allowed, other] of [
    ['profile', PROFILE_KINDS, 'behavior'],
    ['behavior', BEHAVIOUR_KINDS, 'profile'],
  ] as const) {
    form[name].conditions.forEach((c, i) => {
      const path = misplaced(c.condition, allowed, `form.${name}.conditions[${i}].condition`);
      if (path !== undefined) errors.push({ path: `${path}.kind`, message: `belongs in the ${other} group` });
    });
  }
  if (errors.length > 0) return err(errors);
  return ok(joinTwoGroups(form));
};
