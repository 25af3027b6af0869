/**
 * Events Rekindle writes into the warehouse's `events` table itself, by source: scoring
 * (`tier_changed`, `lifecycle_changed`, `warning_raised`, `churn_risk_changed`), the reports'
 * relapse sweep (`recall_relapsed`) and the bonus loop (`offer_bonus_granted`). They let alert
 * rules and triggered campaigns react, but they are not something the user did: activity measures
 * (the north star's retention curve, relapse) count only the user's own events. Messages,
 * deliveries and clicks are facts in their own tables (`message_facts`), never in `events`.
 */
export const SYSTEM_EVENT_SOURCES = ['scores', 'reports', 'offers'] as const;

export const SYSTEM_EVENT_NAMES = [
  'tier_changed',
  'lifecycle_changed',
  'warning_raised',
  'churn_risk_changed',
  'recall_relapsed',
  'offer_bonus_granted',
] as const;

const quoted = (xs: readonly string[]) => xs.map((x) => `'${x}'`).join(', ');

/**
 * A SQL condition true for the user's own events of alias `e`: neither written by a Rekindle
 * source nor named like a Rekindle event (the names are constants, so they are inlined).
 */
export const ownEventSql = (e: string): string =>
  `${e}.source NOT IN (${quoted(SYSTEM_EVENT_SOURCES)}) AND ${e}.event NOT IN (${quoted(SYSTEM_EVENT_NAMES)})`;
