import { appendFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  decodeClickLines,
  encodeClickLine,
  type JournaledClick,
} from '../src/core/tracking/click-journal-line.ts';
import { migrate } from '../src/storage/control/migrate.ts';
import { openSqlClient, type SqlClient } from '../src/storage/control/sql-client.ts';
import { ClickJournal } from '../src/tracking/click-journal.ts';
import { ClickRecorder } from '../src/tracking/click-recorder.ts';
import { tempDir } from './support/tmp.ts';

const tmp = tempDir('rekindle-click-journal-');
afterAll(() => tmp.cleanup());

const MESSAGE = { campaignId: 'c1', runId: 'r1', step: '0', variant: null, userId: 'u1', channel: 'sms' };

const click = (i: number, key = `c1:r1:0:u${i % 7}`) => ({
  code: `code${String(i).padStart(8, '0')}`,
  workspaceId: 'default',
  idempotencyKey: key,
  at: Date.UTC(2026, 10, 20, 12) + i,
  uaFamily: 'wechat',
  ipHash: i % 2 === 0 ? 'abcdefghijabcdefghij12' : null,
});

const counts = async (db: SqlClient) => {
  const [row] = await db.query<{ clicks: number; distinct_ids: number; firsts: number; logged: number }>(
    `SELECT (SELECT count(*)::int FROM link_clicks) AS clicks,
            (SELECT count(DISTINCT id)::int FROM link_clicks) AS distinct_ids,
            (SELECT count(*)::int FROM message_first_clicks) AS firsts,
            (SELECT count(*)::int FROM message_log WHERE kind = 'clicked') AS logged`,
  );
  return row;
};

describe('click journal lines', () => {
  it('round-trips a click and ignores a torn last line and unreadable lines', () => {
    const a: JournaledClick = { id: 7, ...click(1), message: MESSAGE };
    const b: JournaledClick = { id: 8, ...click(2), ipHash: null, message: null };
    const text = encodeClickLine(a) + 'not json\n' + encodeClickLine(b) + encodeClickLine(a).slice(0, 20);
    expect(decodeClickLines(text)).toEqual({ clicks: [a, b], torn: true, unreadable: 1 });
    expect(decodeClickLines('')).toEqual({ clicks: [], torn: false, unreadable: 0 });
  });
});

describe('ClickJournal', () => {
  it('stores every recorded click once, also when a journal already stored is replayed', async () => {
    const db = await openSqlClient({ pgliteDir: join(tmp.dir, 'control') });
    await migrate(db);
    const path = join(tmp.dir, 'clicks.journal');
    // Nothing is emptied along the way: the whole journal is still there to replay.
    const journal = new ClickJournal(db, path, { truncateBytes: Number.MAX_SAFE_INTEGER, idBlock: 16 });
    await Promise.all(Array.from({ length: 100 }, (_, i) => journal.record(click(i), MESSAGE)));
    // Acknowledged means journaled: every click is in the file before it is stored.
    expect(decodeClickLines(readFileSync(path, 'utf8')).clicks).toHaveLength(100);
    await journal.idle();
    expect(await counts(db)).toEqual({ clicks: 100, distinct_ids: 100, firsts: 7, logged: 7 });
    const left = readFileSync(path, 'utf8');
    await journal.close();
    expect(readFileSync(path, 'utf8')).toBe('');
    await expect(journal.record(click(1), MESSAGE)).rejects.toThrow(/closed/);

    // As after kill -9 between a batch's commit and the journal's truncation, with a torn tail.
    writeFileSync(path, left);
    appendFileSync(path, '[1,"torn');
    const again = new ClickJournal(db, path);
    await again.opened();
    expect(again.replayed).toBe(100);
    expect(await counts(db)).toEqual({ clicks: 100, distinct_ids: 100, firsts: 7, logged: 7 });
    // New clicks get ids above every stored one, and the journal was emptied by the replay.
    expect(readFileSync(path, 'utf8')).toBe('');
    await again.record(click(100, 'c1:r1:0:new'), MESSAGE);
    await again.close();
    expect(await counts(db)).toEqual({ clicks: 101, distinct_ids: 101, firsts: 8, logged: 8 });
    await db.close();
  });
});

describe('ClickRecorder (no data directory of its own: straight into the control plane)', () => {
  it('commits each click before it resolves, and logs the first click of a message once', async () => {
    const db = await openSqlClient({ pgliteDir: 'memory://' });
    await migrate(db);
    const recorder = new ClickRecorder(db);
    await Promise.all(Array.from({ length: 50 }, (_, i) => recorder.record(click(i), MESSAGE)));
    // Resolved means committed: no settling needed before reading.
    expect(await counts(db)).toEqual({ clicks: 50, distinct_ids: 50, firsts: 7, logged: 7 });
    await Promise.all(Array.from({ length: 10 }, (_, i) => recorder.record(click(i), MESSAGE)));
    expect(await counts(db)).toEqual({ clicks: 60, distinct_ids: 60, firsts: 7, logged: 7 });
    await recorder.close();
    await db.close();
  });
});
