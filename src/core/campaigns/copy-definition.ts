import type { CampaignDefinition } from './schema.ts';

/**
 * What a copied campaign starts from (issue 18, "复制"): the same content, audience, offer, A/B,
 * goal and budget, as a new draft. Its schedule is kept unless it lies in the past: a one-off
 * whose instant has passed would be due at once on approval, so it moves to the next whole hour a
 * day from now for the operator to set; a periodic schedule drops a start or end already past.
 * Pure, with the clock given.
 */
export interface CopiedDefinition {
  definition: CampaignDefinition;
  /** The schedule was in the past and was changed: the operator must set it before submitting. */
  scheduleReset: boolean;
}

const HOUR_MS = 3_600_000;

export const copyDefinition = (d: CampaignDefinition, now: number): CopiedDefinition => {
  const definition = structuredClone(d);
  const t = definition.timing;
  if (t.kind === 'one_off' && Date.parse(t.at) <= now) {
    const at = Math.ceil((now + 24 * HOUR_MS) / HOUR_MS) * HOUR_MS;
    return {
      definition: { ...definition, timing: { kind: 'one_off', at: new Date(at).toISOString() } },
      scheduleReset: true,
    };
  }
  if (t.kind === 'periodic') {
    const endPast = t.endAt !== undefined && Date.parse(t.endAt) <= now;
    const startPast = t.startAt !== undefined && Date.parse(t.startAt) <= now;
    if (endPast || startPast) {
      const { startAt: _s, endAt: _e, ...rest } = t;
      return {
        definition: {
          ...definition,
          timing: {
            ...rest,
            ...(startPast || t.startAt === undefined ? {} : { startAt: t.startAt }),
            ...(endPast || t.endAt === undefined ? {} : { endAt: t.endAt }),
          },
        },
        scheduleReset: endPast,
      };
    }
  }
  return { definition, scheduleReset: false };
};

/** The copy's name: "<name> 副本", then "<name> 副本 2", 3, … past the names taken (200 characters at most). */
export const copyNames = function* (name: string): Generator<string> {
  const base = name.slice(0, 190);
  yield `${base} 副本`;
  for (let n = 2; n < 1000; n++) yield `${base} 副本 ${n}`;
};
