/**
 * The audience tree and the two-group join of the server's core (src/core/audience/), run in the
 * browser as they are: the builder's live count then means what the saved audience means.
 * two-group-tree.ts imports nothing at run time (the schema import is type-only), so the bundle
 * takes no server code with it.
 */
export type { AudienceNode } from '../../../src/core/audience/schema.ts';
export { joinTwoGroups, type TwoGroupItem } from '../../../src/core/audience/two-group-tree.ts';
/** The server's reading of an ISO-8601 time (UTC without an offset); pure, no run-time imports but constants. */
export { parseIsoUtc } from '../../../src/core/audience/time.ts';
