import { describe, expect, it } from 'vitest';
import { copyDefinition, copyNames } from '../src/core/campaigns/copy-definition.ts';
import type { CampaignDefinition } from '../src/core/campaigns/schema.ts';
import { slotQuietHours } from '../src/core/campaigns/slot-quiet-hours.ts';

/** The pure parts of campaigns as tasks (issue 18): what a copy's schedule becomes, and a slot in quiet hours. */

const NOW = Date.UTC(2026, 11, 7, 9, 40); // 17:40 in Shanghai
const HOUR = 3_600_000;
const base = {
  audienceId: 'a1',
  class: 'marketing',
  channels: ['sms'],
  content: [{ channel: 'sms', text: 'hi' }],
  priority: 50,
  category: 'recall',
  variants: [{ id: 'A', weight: 1 }],
  holdoutShare: 0.1,
  outsideWindow: 'hold',
  budgetCents: 5000,
} as const;
const def = (timing: CampaignDefinition['timing']): CampaignDefinition =>
  ({ ...base, timing }) as unknown as CampaignDefinition;

describe('copyDefinition', () => {
  it('keeps everything but a past schedule, and never shares objects with the source', () => {
    const src = def({ kind: 'one_off', at: new Date(NOW + 2 * HOUR).toISOString() });
    const c = copyDefinition(src, NOW);
    expect(c).toEqual({ definition: src, scheduleReset: false });
    expect(c.definition.variants).not.toBe(src.variants);
  });

  it('moves a past one-off to the next whole hour a day from now', () => {
    const c = copyDefinition(def({ kind: 'one_off', at: new Date(NOW - HOUR).toISOString() }), NOW);
    expect(c.scheduleReset).toBe(true);
    expect(c.definition.timing).toEqual({
      kind: 'one_off',
      at: new Date(Date.UTC(2026, 11, 8, 10)).toISOString(),
    });
  });

  it('drops a passed end (reset) or a passed start (still valid) of a periodic schedule', () => {
    const cron = { kind: 'periodic', cron: '0 9 * * *', timezone: 'Asia/Shanghai' } as const;
    const ended = copyDefinition(
      def({ ...cron, startAt: '2026-01-01T00:00:00.000Z', endAt: '2026-02-01T00:00:00.000Z' }),
      NOW,
    );
    expect(ended).toMatchObject({ scheduleReset: true, definition: { timing: cron } });
    const started = copyDefinition(
      def({ ...cron, startAt: '2026-01-01T00:00:00.000Z', endAt: '2027-01-01T00:00:00.000Z' }),
      NOW,
    );
    expect(started).toMatchObject({
      scheduleReset: false,
      definition: { timing: { ...cron, endAt: '2027-01-01T00:00:00.000Z' } },
    });
    expect(started.definition.timing).not.toHaveProperty('startAt');
  });

  it('names copies 副本, 副本 2, 3 … within 200 characters', () => {
    const names = copyNames('x'.repeat(200));
    const first = names.next().value ?? '';
    expect(first.endsWith(' 副本')).toBe(true);
    expect(first.length).toBeLessThanOrEqual(200);
    expect(names.next().value).toBe(`${'x'.repeat(190)} 副本 2`);
  });
});

describe('slotQuietHours', () => {
  const quiet = { start: '22:00', end: '08:00' };
  it('says when a slot inside quiet hours (wrapping midnight) really goes', () => {
    expect(slotQuietHours(Date.UTC(2026, 11, 7, 15), quiet, 'Asia/Shanghai', true)).toEqual({
      localTime: '23:00',
      timezone: 'Asia/Shanghai',
      inQuietHours: true,
      sendsFrom: '08:00',
    });
    expect(slotQuietHours(Date.UTC(2026, 11, 7, 23, 59), quiet, 'Asia/Shanghai', true)).toMatchObject({
      localTime: '07:59',
      inQuietHours: true,
    });
    expect(slotQuietHours(Date.UTC(2026, 11, 8, 0), quiet, 'Asia/Shanghai', true)).toMatchObject({
      localTime: '08:00',
      inQuietHours: false,
      sendsFrom: null,
    });
  });

  it('transactional messages and a policy without quiet hours are never held', () => {
    const night = Date.UTC(2026, 11, 7, 16);
    expect(slotQuietHours(night, quiet, 'Asia/Shanghai', false).inQuietHours).toBe(false);
    expect(slotQuietHours(night, null, 'Asia/Shanghai', true).inQuietHours).toBe(false);
    // The local time is the zone's: 16:00 UTC is 00:00 in Shanghai, 11:00 in New York.
    expect(slotQuietHours(night, quiet, 'America/New_York', true)).toMatchObject({
      localTime: '11:00',
      inQuietHours: false,
    });
  });
});
