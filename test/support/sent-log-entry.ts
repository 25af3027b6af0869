import type { MessageLogEntry } from '../../src/storage/control/message-log.ts';

/** The fact-shipping tests' clock and message log: user i's SMS of one campaign run, i seconds after T0. */
export const SHIP_T0 = Date.UTC(2026, 10, 20, 12);

export const sentLogEntry = (i: number): MessageLogEntry => ({
  workspaceId: 'default',
  idempotencyKey: `c1:r1:0:u${i}`,
  campaignId: 'c1',
  runId: 'r1',
  step: '0',
  variant: i % 2 === 0 ? 'a' : 'b',
  userId: `u${i}`,
  channel: 'sms',
  kind: 'sent',
  at: SHIP_T0 + i * 1000,
  costCents: 5,
  properties: { n: i },
});
