import type { Static } from '@sinclair/typebox';
import type { TriggeredTiming } from './schema.ts';

export type TriggerSpec = Static<typeof TriggeredTiming>;

/**
 * Does an event start the campaign? Same name, and every `where` property equal (numbers and
 * booleans compared as values, so `{"to": "low"}` matches the JSON `"to": "low"`).
 */
export const matchesTrigger = (
  t: TriggerSpec,
  event: string,
  properties: Readonly<Record<string, unknown>>,
): boolean => {
  if (event !== t.event) return false;
  for (const [k, v] of Object.entries(t.where ?? {})) if (properties[k] !== v) return false;
  return true;
};

/** When a matched event is due: its arrival plus the campaign's delay. */
export const triggerDueAt = (t: TriggerSpec, receivedAt: number): number =>
  receivedAt + t.delayMinutes * 60_000;
