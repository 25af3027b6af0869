import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { CampaignDefinition } from '../../src/core/campaigns/schema.ts';
import type { Clock } from '../../src/core/clock.ts';
import { PAGE_EVENT } from '../../src/core/events/rows.ts';
import { shipFacts } from '../../src/facts/ship.ts';
import { importFile } from '../../src/ingest/import/import-file.ts';
import type { ImportReport } from '../../src/ingest/import/import-report.ts';
import { writeDecisions } from '../../src/planner/plan-decisions.ts';
import { insertCampaign } from '../../src/storage/control/campaigns.ts';
import { appendMessageLog, type MessageLogEntry } from '../../src/storage/control/message-log.ts';
import type { SqlClient } from '../../src/storage/control/sql-client.ts';
import type { WarehouseStore } from '../../src/storage/warehouse-sql.ts';
import { sharedDataDir } from './shared-data.ts';

/**
 * The Hillstrom e-mail test (../shared/data/hillstrom, README there) as a user's data would reach
 * Rekindle: each e-mail is a campaign whose run sent a message to the file's treated customers and
 * held out its control customers (the same 21,306 for both e-mails, as in the test), and the
 * customers' behaviour arrives as a Segment file through `rekindle import` — a `page` call for a
 * visit, an `order` track with the spend as its amount for a conversion, both within the two weeks
 * after the send, and the purchase before the test that the file's recency and history describe.
 *
 * A campaign has one goal (the lift report measures that event), so each e-mail is loaded as two
 * campaigns over the same customers: one whose goal is the visit, one whose goal is the order.
 */

export const HILLSTROM_SHA256 = 'ff9e59285e9dc3f5fa3e0975419e6631ea5bdccd65d818991473d2367e02979c';

/** The README's table, as printed: n, visit and conversion in %, spend per customer in dollars. */
export const HILLSTROM_README = {
  mens: { n: 21_307, visit: '18.2757', conversion: '1.2531', spend: '1.4226' },
  womens: { n: 21_387, visit: '15.1400', conversion: '0.8837', spend: '1.0772' },
  control: { n: 21_306, visit: '10.6167', conversion: '0.5726', spend: '0.6528' },
} as const;

export type HillstromSegment = 'Mens E-Mail' | 'Womens E-Mail' | 'No E-Mail';
const SEGMENTS: readonly HillstromSegment[] = ['Mens E-Mail', 'Womens E-Mail', 'No E-Mail'];

export interface HillstromCustomer {
  /** `h<line>`, the customer's data line in the file (1-based). */
  id: string;
  recency: number;
  history: number;
  segment: HillstromSegment;
  visit: boolean;
  conversion: boolean;
  spend: number;
}

export const hillstromCsv = (): string => join(sharedDataDir(), 'hillstrom', 'hillstrom.csv');

/** The sha256 of the file, to tell a different copy from a wrong report. */
export const fileSha256 = (path: string): string =>
  createHash('sha256').update(readFileSync(path)).digest('hex');

/** One CSV line's fields (the file quotes a field that holds a comma, e.g. "6) $750 - $1,000"). */
const csvFields = (line: string): string[] => {
  const out: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i];
    if (quoted) {
      if (ch === '"' && line[i + 1] === '"') {
        field += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else field += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ',') {
      out.push(field);
      field = '';
    } else field += ch;
  }
  out.push(field);
  return out;
};

/** Every customer of the file, in file order; throws on a line that is not a Hillstrom record. */
export const readHillstrom = (path = hillstromCsv()): HillstromCustomer[] => {
  const lines = readFileSync(path, 'utf8').split(/\r?\n/);
  const header = csvFields(lines[0] ?? '');
  const col = (name: string): number => {
    const i = header.indexOf(name);
    if (i < 0) throw new Error(`hillstrom: no column '${name}' in ${path}`);
    return i;
  };
  const at = {
    recency: col('recency'),
    history: col('history'),
    segment: col('segment'),
    visit: col('visit'),
    conversion: col('conversion'),
    spend: col('spend'),
  };
  const customers: HillstromCustomer[] = [];
  lines.slice(1).forEach((line, i) => {
    if (line === '') return;
    const f = csvFields(line);
    const segment = f[at.segment] as HillstromSegment;
    if (!SEGMENTS.includes(segment)) throw new Error(`hillstrom line ${i + 2}: segment '${segment}'`);
    customers.push({
      id: `h${i + 1}`,
      recency: Number(f[at.recency]),
      history: Number(f[at.history]),
      segment,
      visit: f[at.visit] === '1',
      conversion: f[at.conversion] === '1',
      spend: Number(f[at.spend]),
    });
  });
  return customers;
};

export type HillstromEmail = 'mens' | 'womens';
export type HillstromGoal = 'visit' | 'order';
export const HILLSTROM_EMAILS: Record<HillstromEmail, HillstromSegment> = {
  mens: 'Mens E-Mail',
  womens: 'Womens E-Mail',
};
/** The goal events: a visit is a Segment `page` call, a conversion an `order` with its amount. */
export const HILLSTROM_GOAL_EVENTS: Record<HillstromGoal, string> = { visit: PAGE_EVENT, order: 'order' };
/** The test's outcomes were counted over the two weeks after the e-mail. */
export const HILLSTROM_WINDOW_DAYS = 14;

export const hillstromCampaignId = (email: HillstromEmail, goal: HillstromGoal): string =>
  `hillstrom-${email}-${goal}`;

const DAY = 86_400_000;
const HOUR = 3_600_000;

const definition = (goal: HillstromGoal, sentAt: number): CampaignDefinition => ({
  audienceId: 'hillstrom-customers',
  class: 'marketing',
  timing: { kind: 'one_off', at: new Date(sentAt).toISOString() },
  channels: ['email'],
  content: [{ channel: 'email', subject: 'New this season', html: '<p>New this season</p>' }],
  goal: { event: HILLSTROM_GOAL_EVENTS[goal], withinDays: HILLSTROM_WINDOW_DAYS },
  priority: 50,
  category: 'recall',
  variants: [],
  // The test held out a third of the customers: half of the ones each e-mail was decided for.
  holdoutShare: 0.5,
  outsideWindow: 'hold',
});

/**
 * The customer's outcomes as Segment messages: a visit at a spread time in the first 13 days after
 * the send, the order half an hour after it, and the last purchase before the test (`recency`
 * months before, for `history` dollars), which no report of the test may count.
 */
const segmentMessages = (c: HillstromCustomer, i: number, sentAt: number): object[] => {
  const iso = (ms: number) => new Date(ms).toISOString();
  const visitAt = sentAt + HOUR + ((i * 7919) % (13 * 24)) * HOUR;
  const out: object[] = [
    {
      type: 'track',
      messageId: `${c.id}-before`,
      userId: c.id,
      event: 'order',
      timestamp: iso(sentAt - c.recency * 30 * DAY),
      properties: { amount: c.history, currency: 'USD' },
    },
  ];
  if (c.visit)
    out.push({
      type: 'page',
      messageId: `${c.id}-visit`,
      userId: c.id,
      timestamp: iso(visitAt),
      name: 'home',
    });
  if (c.conversion)
    out.push({
      type: 'track',
      messageId: `${c.id}-order`,
      userId: c.id,
      event: 'order',
      timestamp: iso(visitAt + HOUR / 2),
      properties: { amount: c.spend, currency: 'USD' },
    });
  return out;
};

export interface HillstromLoad {
  /** Message-log entries shipped to the warehouse (one `sent` per treated customer per campaign). */
  sent: number;
  /** Holdout decisions written (the control customers, per campaign). */
  heldOut: number;
  /** The import of the customers' behaviour. */
  imported: ImportReport;
}

/**
 * Loads the test into a runtime's stores: four campaigns (two e-mails × two goals) with one
 * committed run each at `sentAt`, their sends through the message log and the fact shipper, their
 * holdouts through the planner's decision writer, and the behaviour through the importer.
 */
export const loadHillstrom = async (
  stores: { control: SqlClient; warehouse: WarehouseStore },
  customers: readonly HillstromCustomer[],
  o: { ownerId: number; sentAt: number; clock: Clock; dir: string; workspaceId?: string },
): Promise<HillstromLoad> => {
  const { control, warehouse } = stores;
  const workspaceId = o.workspaceId ?? 'default';
  const controlIds = customers.filter((c) => c.segment === 'No E-Mail').map((c) => c.id);
  let sent = 0;
  let heldOut = 0;
  for (const email of ['mens', 'womens'] as const) {
    const treated = customers.filter((c) => c.segment === HILLSTROM_EMAILS[email]).map((c) => c.id);
    for (const goal of ['visit', 'order'] as const) {
      const id = hillstromCampaignId(email, goal);
      const runId = `${id}-run`;
      await insertCampaign(control, {
        id,
        workspaceId,
        name: `Hillstrom ${HILLSTROM_EMAILS[email]} (${goal})`,
        definition: definition(goal, o.sentAt),
        ownerId: o.ownerId,
        at: o.sentAt - DAY,
      });
      await control.query(
        `INSERT INTO campaign_runs (id, campaign_id, slot_at, planned_at, members, messages, holdout, skipped, spend_cents)
         VALUES ($1, $2, $3, $3, $4, $5, $6, 0, 0)`,
        [
          runId,
          id,
          new Date(o.sentAt),
          treated.length + controlIds.length,
          treated.length,
          controlIds.length,
        ],
      );
      const entries = treated.map((userId): MessageLogEntry => ({
        workspaceId,
        idempotencyKey: `${id}:${runId}:0:${userId}`,
        campaignId: id,
        runId,
        step: '0',
        variant: null,
        userId,
        channel: 'email',
        kind: 'sent',
        at: o.sentAt,
      }));
      for (let i = 0; i < entries.length; i += 10_000)
        await appendMessageLog(control, entries.slice(i, i + 10_000));
      sent += entries.length;
      await writeDecisions(
        warehouse,
        [{ campaignId: id, decision: 'holdout', reason: null, detail: null, userIds: controlIds }],
        new Map([[id, runId]]),
        o.sentAt,
      );
      heldOut += controlIds.length;
    }
  }
  let shipped = 0;
  for (;;) {
    const r = await shipFacts(control, warehouse, { clock: o.clock, batchSize: 20_000 });
    shipped += r.shipped;
    if (r.shipped === 0) break;
  }
  if (shipped !== sent) throw new Error(`hillstrom: shipped ${shipped} of ${sent} message-log entries`);
  const path = join(o.dir, 'hillstrom-events.ndjson');
  writeFileSync(
    path,
    customers
      .flatMap((c, i) => segmentMessages(c, i, o.sentAt))
      .map((m) => JSON.stringify(m))
      .join('\n'),
  );
  const imported = await importFile(warehouse, { path, now: o.clock });
  return { sent, heldOut, imported };
};
