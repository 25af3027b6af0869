import { describe, expect, it } from 'vitest';
import { normaliseIdentify, normaliseMessage, normaliseTrack } from '../src/core/events/normalize.ts';
import { DedupWindow } from '../src/ingest/dedup-window.ts';
import { processBatch } from '../src/ingest/process-batch.ts';

const NOW = Date.UTC(2026, 10, 20, 12);
const ctx = { receivedAt: NOW, source: 'http' as const, newMessageId: () => 'generated-id' };

describe('normaliseTrack', () => {
  it('lifts typed columns, keeps the whole properties object and falls back to receivedAt', () => {
    const r = normaliseTrack(
      {
        anonymousId: 42,
        event: 'pay',
        properties: { revenue: 12.5, productId: 7, orderId: 'o1', platform: 'android', extra: [1] },
      },
      3,
      ctx,
    );
    expect(r).toEqual({
      ok: true,
      value: {
        messageId: 'generated-id',
        userId: '42',
        anonymousId: '42',
        event: 'pay',
        ts: NOW,
        receivedAt: NOW,
        amount: 12.5,
        currency: null,
        productId: '7',
        category: null,
        orderId: 'o1',
        platform: 'android',
        properties: JSON.stringify({
          revenue: 12.5,
          productId: 7,
          orderId: 'o1',
          platform: 'android',
          extra: [1],
        }),
        source: 'http',
      },
    });
  });

  it('reports every schema problem of one record with its path', () => {
    const r = normaliseTrack({ userId: '', event: 5, properties: { currency: 'RMB!', amount: '3' } }, 9, ctx);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.error.map((e) => [e.index, e.field])).toEqual([
      [9, 'event'],
      [9, 'properties.amount'],
      [9, 'properties.currency'],
      [9, 'userId'],
    ]);
  });

  it('rejects times before 1990 (a seconds/milliseconds mix-up) and far in the future', () => {
    const old = normaliseTrack({ userId: 'a', event: 'x', timestamp: '1970-01-21T00:00:00Z' }, 0, ctx);
    expect(old).toEqual({
      ok: false,
      error: [{ index: 0, field: 'timestamp', reason: 'is before 1990-01-01' }],
    });
    const soon = normaliseTrack(
      { userId: 'a', event: 'x', timestamp: new Date(NOW + 3600_000).toISOString() },
      0,
      ctx,
    );
    expect(soon.ok).toBe(true);
  });
});

describe('normaliseIdentify', () => {
  it('maps Segment trait names to profile columns and validates each', () => {
    const r = normaliseIdentify(
      {
        userId: 'u1',
        traits: {
          createdAt: '2025-01-02',
          mobile: '+86 138-0013-8000',
          consentSms: false,
          email: 'A@B.CN',
          gender: 'f',
        },
      },
      0,
      ctx,
    );
    expect(r.ok && r.value.columns).toEqual({
      register_time: Date.UTC(2025, 0, 2),
      phone: '+8613800138000',
      consent_sms: false,
      email: 'a@b.cn',
    });
    expect(r.ok && r.value.traits['gender']).toBe('f');
  });

  it('names each bad trait', () => {
    const r = normaliseIdentify(
      { userId: 'u1', traits: { balance: '100', consentPush: 'yes', phone: '12', email: 'nope' } },
      4,
      ctx,
    );
    expect(r).toEqual({
      ok: false,
      error: [
        { index: 4, field: 'traits.balance', reason: 'must be a finite number' },
        { index: 4, field: 'traits.consentPush', reason: 'must be true or false' },
        { index: 4, field: 'traits.phone', reason: expect.stringMatching(/^is not a mainland China number/) },
        { index: 4, field: 'traits.email', reason: 'must be an email address' },
      ],
    });
  });
});

describe('normaliseMessage and processBatch', () => {
  it('rejects non-objects and unknown types precisely, keeping the others', () => {
    const out = processBatch(
      [
        null,
        'text',
        { type: 'merge', userId: 'a' },
        { type: 'track', userId: 'a', event: 'ok', messageId: 'm' },
      ],
      ctx,
    );
    expect(out.events.map((e) => e.messageId)).toEqual(['m']);
    expect(out.errors).toEqual([
      { index: 0, field: '(record)', reason: 'must be a JSON object' },
      { index: 1, field: '(record)', reason: 'must be a JSON object' },
      {
        index: 2,
        field: 'type',
        reason: "'merge' is not supported (track, identify, page, screen, group or alias)",
      },
    ]);
    expect(out.rejections.map((r) => r.raw)).toEqual(['null', '"text"', '{"type":"merge","userId":"a"}']);
    expect(normaliseMessage({ userId: 'a' }, 0, ctx)).toEqual({
      ok: false,
      error: [
        { index: 0, field: 'type', reason: 'is required (track, identify, page, screen, group or alias)' },
      ],
    });
  });
});

describe('DedupWindow', () => {
  it('remembers ids for the window and forgets whole hours after it', () => {
    const w = new DedupWindow(24 * 3600_000);
    w.add('a', NOW);
    w.add('b', NOW + 5 * 3600_000);
    expect(w.has('a') && w.has('b')).toBe(true);
    w.expire(NOW + 25 * 3600_000);
    expect(w.has('a')).toBe(false);
    expect(w.has('b')).toBe(true);
    expect(w.size).toBe(1);
  });
});

describe('timestamps', () => {
  it('reads a date-time without a zone as UTC, whatever the server zone, and honours offsets', () => {
    const at = (timestamp: string) => {
      const r = normaliseTrack({ userId: 'u', event: 'e', timestamp }, 0, ctx);
      return r.ok ? r.value.ts : r.error;
    };
    expect(at('2026-11-01T08:30:00')).toBe(Date.UTC(2026, 10, 1, 8, 30));
    expect(at('2026-11-01 08:30:00')).toBe(Date.UTC(2026, 10, 1, 8, 30));
    expect(at('2026-11-01T08:30:00+08:00')).toBe(Date.UTC(2026, 10, 1, 0, 30));
    expect(at('2026-11-01')).toBe(Date.UTC(2026, 10, 1));
    expect(at('2026-13-01T00:00:00')).toEqual([expect.objectContaining({ index: 0, field: 'timestamp' })]);
  });
});
