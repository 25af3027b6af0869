import type { EventRow } from '../../src/core/events/rows.ts';

const DAY = 86_400_000;

/**
 * Synthetic buyers for the value-model tests: 300 users with their own cadence (every 3 to 90
 * days) and spend level, who joined over the last year; a third of them stop after a few
 * purchases. Deterministic (no randomness): a fit on it converges inside its search range.
 */
export const syntheticBuyers = (asOf: number, event = 'order'): EventRow[] => {
  const out: EventRow[] = [];
  let seq = 0;
  for (let u = 0; u < 300; u++) {
    const gap = 3 + ((u * 37) % 88);
    const joined = 30 + ((u * 53) % 330);
    const stopsAfter = u % 3 === 0 ? 1 + ((u * 7) % 5) : Infinity;
    const level = 10 + ((u * 29) % 90);
    let k = 0;
    for (let day = joined; day >= 0 && k < stopsAfter; day -= gap + ((u + k) % 3) * 2, k++) {
      const ts = asOf - day * DAY - 3_600_000;
      const amount = Math.round(level * (0.6 + ((u + k * 11) % 9) / 10) * 100) / 100;
      out.push({
        messageId: `sb-${u}-${seq++}`,
        userId: `b${u}`,
        anonymousId: null,
        event,
        ts,
        receivedAt: ts,
        amount,
        currency: 'CNY',
        productId: null,
        category: null,
        orderId: `b${u}-o${k}`,
        platform: null,
        properties: '{}',
        source: 'import',
      });
    }
  }
  return out;
};
