import { createHash, randomUUID } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isoTimestamp } from '../src/core/demo/iso.ts';
import { DemoGenerator, generateUsers, type DemoUser } from '../src/core/demo/generate.ts';
import { DEMO_SIZES } from '../src/core/demo/sizes.ts';
import { normaliseMessage } from '../src/core/events/normalize.ts';
import { isTimeZone } from '../src/core/profile/traits.ts';
import { loadDemo } from '../src/demo/load-demo.ts';
import { writeDemoFile } from '../src/demo/write-demo-file.ts';
import { Warehouse } from '../src/storage/warehouse/warehouse.ts';
import { tempDir } from './support/tmp.ts';

const NOW = Date.UTC(2026, 0, 15, 6, 30);
const DAY = 86_400_000;
const CONSENTS = ['consent_push', 'consent_sms', 'consent_email', 'consent_wecom', 'consent_call'] as const;

const tmp = tempDir('rekindle-demo-');
afterAll(() => tmp.cleanup());

const hashUsers = (users: Iterable<DemoUser>): { hash: string; users: number; events: number } => {
  const h = createHash('sha256');
  let n = 0;
  let events = 0;
  for (const u of users) {
    n++;
    events += u.events.length;
    h.update(JSON.stringify(u.identify));
    for (const e of u.events) h.update(JSON.stringify(e));
  }
  return { hash: h.digest('hex'), users: n, events };
};

const share = (hits: number, total: number) => (total === 0 ? Number.NaN : hits / total);
const quantile = (sorted: number[], q: number) => sorted[Math.floor(q * (sorted.length - 1))] ?? Number.NaN;

const localHour = (() => {
  const formats = new Map<string, Intl.DateTimeFormat>();
  return (ts: number, timeZone: string) => {
    let f = formats.get(timeZone);
    if (f === undefined) {
      f = new Intl.DateTimeFormat('en-US', { timeZone, hour: 'numeric', hourCycle: 'h23' });
      formats.set(timeZone, f);
    }
    return Number(f.format(ts));
  };
})();

/** One pass over the `small` data set collecting everything the assertions below look at. */
interface Stats {
  hash: string;
  users: number;
  events: number;
  problems: string[];
  zones: Map<string, number>;
  registerAgesDays: number[];
  daytime: { hits: number; total: number };
  churn: Map<string, { churned: number; total: number }>;
  orderAmounts: number[];
  orders: number;
  refunds: number;
  investAmounts: number[];
  eventNames: Map<string, number>;
  consentTrue: Record<(typeof CONSENTS)[number], number>;
  withPushToken: number;
  pushConsentWithToken: number;
  ordersByShanghaiDate: Map<string, number>;
  lastEventMax: number;
}

let stats: Stats;

beforeAll(() => {
  const s: Stats = {
    hash: '',
    users: 0,
    events: 0,
    problems: [],
    zones: new Map(),
    registerAgesDays: [],
    daytime: { hits: 0, total: 0 },
    churn: new Map(),
    orderAmounts: [],
    orders: 0,
    refunds: 0,
    investAmounts: [],
    eventNames: new Map(),
    consentTrue: { consent_push: 0, consent_sms: 0, consent_email: 0, consent_wecom: 0, consent_call: 0 },
    withPushToken: 0,
    pushConsentWithToken: 0,
    ordersByShanghaiDate: new Map(),
    lastEventMax: 0,
  };
  const problem = (text: string) => {
    if (s.problems.length < 20) s.problems.push(text);
  };
  const bump = (key: string, churned: boolean) => {
    const c = s.churn.get(key) ?? { churned: 0, total: 0 };
    c.total++;
    if (churned) c.churned++;
    s.churn.set(key, c);
  };
  const shanghaiDate = new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Shanghai' });
  const messageIds = new Set<string>();
  const h = createHash('sha256');

  for (const u of generateUsers({ size: 'small', seed: 42, now: NOW })) {
    s.users++;
    s.events += u.events.length;
    h.update(JSON.stringify(u.identify));
    const { columns, traits, userId } = u.identify;
    const reg = columns.register_time;
    const tz = columns.timezone;
    if (reg === undefined || tz === undefined) {
      problem(`${userId}: no register_time or timezone`);
      continue;
    }
    if (userId !== `u${String(s.users).padStart(7, '0')}`) problem(`user ${s.users} is ${userId}`);
    if (u.identify.ts > NOW || u.identify.ts < reg) problem(`${userId}: identify at ${u.identify.ts}`);
    s.zones.set(tz, (s.zones.get(tz) ?? 0) + 1);
    s.registerAgesDays.push((NOW - reg) / DAY);
    for (const c of CONSENTS) {
      if (typeof columns[c] !== 'boolean') problem(`${userId}: ${c} is ${String(columns[c])}`);
      if (columns[c] === true) s.consentTrue[c]++;
    }
    if (columns.push_token !== undefined) {
      s.withPushToken++;
      if (columns.consent_push === true) s.pushConsentWithToken++;
    } else if (columns.consent_push === true) problem(`${userId}: push consent without a token`);
    if (columns.consent_email === true && columns.email === undefined)
      problem(`${userId}: email consent, no email`);
    if (traits['register_time'] !== isoTimestamp(reg)) problem(`${userId}: register_time trait`);
    for (const t of ['gender', 'age_band', 'favourite_category']) {
      if (typeof traits[t] !== 'string') problem(`${userId}: trait ${t}`);
    }

    const signUps = u.events.filter((e) => e.event === 'sign_up');
    if (signUps.length !== 1 || u.events[0]?.event !== 'sign_up' || u.events[0].ts !== reg) {
      problem(
        `${userId}: ${signUps.length} sign_up events, first ${u.events[0]?.event} at ${u.events[0]?.ts}`,
      );
    }
    let prev = reg;
    let orders = 0;
    let balance = 0;
    const platform = u.events[0]?.platform;
    if (!['ios', 'android', 'web', 'miniprogram'].includes(platform ?? '')) problem(`${userId}: ${platform}`);
    const orderAmount = new Map<string, number>();
    for (const [i, e] of u.events.entries()) {
      h.update(JSON.stringify(e));
      s.eventNames.set(e.event, (s.eventNames.get(e.event) ?? 0) + 1);
      if (e.ts < prev || e.ts > NOW) problem(`${userId}: event ${i} at ${e.ts} after ${prev}`);
      prev = e.ts;
      if (messageIds.has(e.messageId)) problem(`duplicate ${e.messageId}`);
      messageIds.add(e.messageId);
      if (e.userId !== userId || e.source !== 'demo' || e.receivedAt !== NOW || e.platform !== platform) {
        problem(`${e.messageId}: envelope`);
      }
      if (i % 4 === 0) {
        s.daytime.total++;
        const hour = localHour(e.ts, tz);
        if (hour >= 8 && hour < 23) s.daytime.hits++;
      }
      const props = JSON.parse(e.properties) as Record<string, unknown>;
      if (props['platform'] !== e.platform) problem(`${e.messageId}: platform property`);
      if ((props['amount'] ?? null) !== e.amount || (props['order_id'] ?? null) !== e.orderId) {
        problem(`${e.messageId}: typed columns differ from properties`);
      }
      if ((props['product_id'] ?? null) !== e.productId || (props['category'] ?? null) !== e.category) {
        problem(`${e.messageId}: product columns differ from properties`);
      }
      switch (e.event) {
        case 'order':
          orders++;
          s.orderAmounts.push(e.amount ?? Number.NaN);
          if (e.currency !== 'CNY' || e.orderId === null) problem(`${e.messageId}: order`);
          orderAmount.set(e.orderId ?? '', e.amount ?? Number.NaN);
          s.ordersByShanghaiDate.set(
            shanghaiDate.format(e.ts),
            (s.ordersByShanghaiDate.get(shanghaiDate.format(e.ts)) ?? 0) + 1,
          );
          break;
        case 'pay':
        case 'refund':
          if (e.event === 'refund') s.refunds++;
          if (orderAmount.get(e.orderId ?? '') !== e.amount)
            problem(`${e.messageId}: ${e.event} of no order`);
          break;
        case 'invest':
          s.investAmounts.push(e.amount ?? Number.NaN);
          break;
        case 'balance_change':
          balance = Math.round((balance + (e.amount ?? Number.NaN)) * 100) / 100;
          if (props['balance'] !== balance || balance < 0) {
            problem(`${e.messageId}: balance ${String(props['balance'])}`);
          }
          break;
      }
    }
    if (columns.balance !== balance) problem(`${userId}: balance ${columns.balance} != ${balance}`);
    s.lastEventMax = Math.max(s.lastEventMax, prev);
    if (reg < NOW - 60 * DAY) {
      const churned = prev < NOW - 30 * DAY;
      bump(`channel:${columns.acquisition_channel}`, churned);
      bump(orders <= 2 ? 'orders:<=2' : 'orders:>=3', churned);
    }
  }
  s.hash = h.digest('hex');
  stats = s;
});

describe('demo data generator (small, seed 42)', () => {
  it('has the documented size and a plausible number of events', () => {
    expect(DEMO_SIZES).toEqual({ small: 10_000, demo: 100_000, large: 1_000_000 });
    expect(stats.users).toBe(10_000);
    expect(stats.events / stats.users).toBeGreaterThan(20);
    expect(stats.events / stats.users).toBeLessThan(40);
    for (const e of ['app_open', 'login', 'view_item', 'search', 'favorite', 'add_to_cart', 'order', 'pay']) {
      expect(stats.eventNames.get(e) ?? 0, e).toBeGreaterThan(1000);
    }
    for (const e of ['refund', 'invest', 'withdraw', 'balance_change']) {
      expect(stats.eventNames.get(e) ?? 0, e).toBeGreaterThan(50);
    }
  });

  it('keeps every invariant: order, times within [register_time, now], one sign_up, ids, typed columns', () => {
    expect(stats.problems).toEqual([]);
    expect(stats.lastEventMax).toBeLessThanOrEqual(NOW);
    expect(stats.lastEventMax).toBeGreaterThan(NOW - DAY);
  });

  it('is deterministic for a seed and now, and differs for another seed', () => {
    const again = hashUsers(generateUsers({ size: 'small', seed: 42, now: NOW }));
    expect(again.hash).toBe(stats.hash);
    const first = hashUsers(generateUsers({ size: 500, seed: 42, now: NOW }));
    const other = hashUsers(generateUsers({ size: 500, seed: 43, now: NOW }));
    expect(other.hash).not.toBe(first.hash);
    expect(hashUsers(generateUsers({ size: 500, seed: 42, now: NOW + DAY })).hash).not.toBe(first.hash);
  });

  it('makes each user independently of the others', () => {
    const alone = new DemoGenerator(42, NOW).user(4321);
    const streamed = [...generateUsers({ size: 4322, seed: 42, now: NOW })][4321];
    expect(alone).toEqual(streamed);
  });

  it('spreads sign-ups over the 18 months before now, more of them recently', () => {
    const ages = [...stats.registerAgesDays].sort((a, b) => a - b);
    expect(ages[0]).toBeGreaterThanOrEqual(0);
    expect(ages[ages.length - 1]).toBeLessThan(550);
    expect(quantile(ages, 0.9)).toBeGreaterThan(400);
    expect(share(ages.filter((a) => a < 183).length, ages.length)).toBeGreaterThan(0.36);
  });

  it('uses valid IANA time zones, mostly Asia/Shanghai, and events happen in local daytime', () => {
    for (const zone of stats.zones.keys()) expect(isTimeZone(zone), zone).toBe(true);
    expect(stats.zones.size).toBeGreaterThanOrEqual(6);
    expect(share(stats.zones.get('Asia/Shanghai') ?? 0, stats.users)).toBeGreaterThan(0.75);
    expect(share(stats.daytime.hits, stats.daytime.total)).toBeGreaterThan(0.8);
  });

  it('churns distribution users more than organic ones, and users with few orders more than buyers', () => {
    const rate = (key: string) => {
      const c = stats.churn.get(key);
      expect(c?.total ?? 0, key).toBeGreaterThan(300);
      return share(c?.churned ?? 0, c?.total ?? 0);
    };
    expect(rate('channel:distribution')).toBeGreaterThan(rate('channel:organic') + 0.1);
    expect(rate('orders:<=2')).toBeGreaterThan(rate('orders:>=3') + 0.2);
    expect(rate('channel:organic')).toBeGreaterThan(0.4);
    expect(rate('orders:>=3')).toBeLessThan(0.6);
  });

  it('has plausible money: order median 80–150 CNY with a long tail, investments of 1 000–50 000', () => {
    const amounts = [...stats.orderAmounts].sort((a, b) => a - b);
    expect(quantile(amounts, 0.5)).toBeGreaterThanOrEqual(80);
    expect(quantile(amounts, 0.5)).toBeLessThanOrEqual(150);
    expect(amounts[0]).toBeGreaterThan(0);
    expect(quantile(amounts, 0.99)).toBeGreaterThan(3 * quantile(amounts, 0.5));
    expect(share(stats.refunds, amounts.length)).toBeLessThan(0.06);
    for (const a of stats.investAmounts) {
      expect(a).toBeGreaterThanOrEqual(1000);
      expect(a).toBeLessThanOrEqual(50_000);
    }
  });

  it('follows the shopping calendar: Double 11 sells far more than an ordinary day', () => {
    const october = [...stats.ordersByShanghaiDate]
      .filter(([d]) => d.startsWith('2025-10-0'))
      .map(([, n]) => n)
      .sort((a, b) => a - b);
    const double11 = stats.ordersByShanghaiDate.get('2025-11-11') ?? 0;
    expect(double11).toBeGreaterThan(3 * quantile(october, 0.5));
  });

  it('gives channel consents realistic shares', () => {
    const s = (c: (typeof CONSENTS)[number]) => share(stats.consentTrue[c], stats.users);
    expect(s('consent_sms')).toBeGreaterThan(0.7);
    expect(s('consent_sms')).toBeLessThan(0.95);
    expect(s('consent_email')).toBeGreaterThan(0.1);
    expect(s('consent_email')).toBeLessThan(0.5);
    expect(s('consent_call')).toBeLessThan(0.3);
    expect(share(stats.pushConsentWithToken, stats.withPushToken)).toBeGreaterThan(0.5);
    expect(share(stats.pushConsentWithToken, stats.withPushToken)).toBeLessThan(0.85);
  });
});

describe('demo files', () => {
  const users = [...generateUsers({ size: 300, seed: 7, now: NOW })];
  const eventCount = users.reduce((n, u) => n + u.events.length, 0);

  it('writes NDJSON Segment messages that normalise back to exactly the generated rows', async () => {
    const path = join(tmp.dir, 'demo.ndjson');
    const r = await writeDemoFile({ size: 300, seed: 7, now: NOW, path, format: 'ndjson' });
    expect(r).toEqual({ users: 300, events: eventCount, bytes: statSync(path).size });
    const lines = readFileSync(path, 'utf8').trimEnd().split('\n');
    expect(lines).toHaveLength(300 + eventCount);
    const expected = users.flatMap((u) => [u.identify, ...u.events]);
    lines.forEach((line, i) => {
      const result = normaliseMessage(JSON.parse(line), i, {
        receivedAt: NOW,
        source: 'demo',
        newMessageId: randomUUID,
      });
      if (!result.ok) throw new Error(`line ${i + 1}: ${JSON.stringify(result.error)}`);
      expect(result.value.row).toEqual(expected[i]);
    });
  });

  it('writes RFC 4180 CSV with the documented header and JSON properties and traits', async () => {
    const path = join(tmp.dir, 'demo.csv');
    const progress: number[] = [];
    const r = await writeDemoFile({
      size: 300,
      seed: 7,
      now: NOW,
      path,
      format: 'csv',
      onProgress: (done) => progress.push(done),
    });
    expect(r.bytes).toBe(statSync(path).size);
    expect(progress.at(-1)).toBe(300);
    const records = parseCsv(readFileSync(path, 'utf8'));
    expect(records[0]?.join(',')).toBe(
      'type,message_id,user_id,anonymous_id,event,timestamp,amount,currency,product_id,category,order_id,platform,properties,traits',
    );
    expect(records).toHaveLength(1 + 300 + eventCount);
    const expected = users.flatMap((u) => [u.identify, ...u.events]);
    records.slice(1).forEach((rec, i) => {
      expect(rec).toHaveLength(14);
      const row = expected[i];
      if (row === undefined) throw new Error('more records than rows');
      expect(rec[1]).toBe(row.messageId);
      expect(Date.parse(rec[5] ?? '')).toBe(row.ts);
      if ('event' in row) {
        expect(rec[0]).toBe('track');
        expect(rec[6] === '' ? null : Number(rec[6])).toBe(row.amount);
        expect(rec[10] === '' ? null : rec[10]).toBe(row.orderId);
        expect(rec[12]).toBe(row.properties);
      } else {
        expect(rec[0]).toBe('identify');
        expect(JSON.parse(rec[13] ?? '')).toEqual(row.traits);
      }
    });
  });
});

describe('loadDemo', () => {
  it('loads the small data set into a DuckDB warehouse: as many events and profiles as generated', async () => {
    const expected = hashUsers(generateUsers({ size: 'small', seed: 3, now: NOW }));
    const wh = await Warehouse.open(join(tmp.dir, 'warehouse.duckdb'));
    try {
      const progress: [number, number][] = [];
      const r = await loadDemo(wh, {
        size: 'small',
        seed: 3,
        now: NOW,
        onProgress: (done, total) => progress.push([done, total]),
      });
      expect(r.users).toBe(10_000);
      expect(r.events).toBe(expected.events);
      expect(progress.at(-1)).toEqual([10_000, 10_000]);
      expect(Number(await wh.scalar('SELECT count(*) FROM events'))).toBe(expected.events);
      expect(Number(await wh.scalar('SELECT count(*) FROM profiles'))).toBe(10_000);
      expect(Number(await wh.scalar(`SELECT count(*) FROM events WHERE event = 'sign_up'`))).toBe(10_000);
      const stray = await wh.scalar(
        `SELECT count(*) FROM profiles p WHERE timezone IS NULL OR register_time IS NULL OR
           register_time <> (SELECT min(ts) FROM events e WHERE e.user_id = p.user_id)`,
      );
      expect(Number(stray)).toBe(0);
    } finally {
      wh.close();
    }
  });
});

/** A strict RFC 4180 reader (quoted fields, doubled quotes, LF or CRLF record ends). */
function parseCsv(text: string): string[][] {
  const records: string[][] = [];
  let record: string[] = [];
  let field = '';
  let i = 0;
  let quoted = false;
  while (i < text.length) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"';
        i += 2;
        continue;
      }
      if (c === '"') quoted = false;
      else field += c;
      i++;
      continue;
    }
    if (c === '"' && field === '') quoted = true;
    else if (c === ',') {
      record.push(field);
      field = '';
    } else if (c === '\n' || c === '\r') {
      if (c === '\r' && text[i + 1] === '\n') i++;
      record.push(field);
      records.push(record);
      record = [];
      field = '';
    } else field += c;
    i++;
  }
  if (field !== '' || record.length > 0) {
    record.push(field);
    records.push(record);
  }
  return records;
}
