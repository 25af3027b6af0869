import { randomUUID } from 'node:crypto';
import { normaliseIdentify, normaliseTrack } from '../../src/core/events/normalize.ts';
import type { EventRow, IdentifyRow } from '../../src/core/events/rows.ts';

/**
 * `track` and `identify` records as ingestion stores them (normalised, received at `now`), with
 * message ids numbered in the order they are made: the scenario tests' way to write data.
 */
export const recordBuilders = (now: number) => {
  let seq = 0;
  const iso = (ms: number) => new Date(ms).toISOString();
  const track = (
    userId: string,
    event: string,
    ts: number,
    properties: Record<string, unknown> = {},
  ): EventRow => {
    const r = normaliseTrack(
      { type: 'track', userId, event, timestamp: iso(ts), properties, messageId: `m${++seq}` },
      0,
      { receivedAt: now, source: 'http', newMessageId: randomUUID },
    );
    if (!r.ok) throw new Error(JSON.stringify(r.error));
    return r.value;
  };
  const identify = (userId: string, ts: number, traits: Record<string, unknown>): IdentifyRow => {
    const r = normaliseIdentify(
      { type: 'identify', userId, timestamp: iso(ts), traits, messageId: `i${++seq}` },
      0,
      { receivedAt: now, source: 'http', newMessageId: randomUUID },
    );
    if (!r.ok) throw new Error(JSON.stringify(r.error));
    return r.value;
  };
  return { track, identify };
};
