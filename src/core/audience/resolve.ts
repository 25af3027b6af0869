import { show } from './fields.ts';
import type { AudienceNode, AudienceResolver } from './schema.ts';
import { validateAudience } from './validate.ts';
import type { AudienceError } from './schema.ts';

/**
 * Looks up a saved audience referenced by an `audience` node. `stack` holds the ids being
 * inlined above this node, so a cycle (a → b → a) is reported instead of recursing forever.
 * The stored tree is validated again: it may predate a change of the language.
 */
export const lookupAudience = (
  id: string,
  stack: readonly string[],
  resolve: AudienceResolver | undefined,
  path: string,
): { ok: true; node: AudienceNode; path: string } | { ok: false; errors: AudienceError[] } => {
  if (stack.includes(id)) {
    return {
      ok: false,
      errors: [{ path, message: `audience cycle: ${[...stack, id].map(show).join(' → ')}` }],
    };
  }
  const found = resolve?.(id);
  if (found === undefined)
    return { ok: false, errors: [{ path: `${path}.id`, message: `unknown audience '${show(id)}'` }] };
  const inner = `${path}(audience ${show(id)})`;
  const valid = validateAudience(found, inner);
  return valid.ok ? { ok: true, node: valid.value, path: inner } : { ok: false, errors: valid.error };
};
