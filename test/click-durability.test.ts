import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { linkCode } from '../src/core/tracking/link-code.ts';
import { loadMasterKeys } from '../src/lib/secret-box.ts';
import { migrate } from '../src/storage/control/migrate.ts';
import { saveShortLinks } from '../src/storage/control/short-links.ts';
import { csvRow, openSqlClient, type SqlClient } from '../src/storage/control/sql-client.ts';
import { bindMasterKeys, workspaceSecret } from '../src/storage/control/workspace-secrets.ts';
import { clickJournalPath } from '../src/tracking/click-sink.ts';
import { startChildServer } from './support/child-server.ts';
import { tempDir } from './support/tmp.ts';

/**
 * A click whose 302 was sent survives kill -9, and is counted once: `rekindle serve` (its own
 * process) takes clicks from 8 concurrent clients and is killed with SIGKILL mid-stream, twice;
 * after a restart every acknowledged click is in `link_clicks` exactly once and every clicked
 * message has one `clicked` log entry. The journal left by each kill holds clicks that were
 * already stored too, so the restart's replay is what must not count them again.
 */

const MESSAGES = 300;
const LINKS_PER_MESSAGE = 2;
const AT = new Date(Date.UTC(2026, 10, 1)).toISOString();

const tmp = tempDir('rekindle-clicks-kill-');
afterAll(() => tmp.cleanup());

const QUIET = {
  REKINDLE_SCORE_EVERY_MINUTES: '0',
  REKINDLE_PLANNER_POLL_SECONDS: '0',
  REKINDLE_ATTRIBUTE_EVERY_MINUTES: '0',
  REKINDLE_FACT_SHIP_MS: '0',
};

/** Planned messages with two links each; returns every link's code with its message's key. */
const seed = async (db: SqlClient, dataDir: string): Promise<{ code: string; key: string }[]> => {
  await migrate(db);
  bindMasterKeys(db, loadMasterKeys(process.env, dataDir));
  const secret = await workspaceSecret(db, 'default', 'tracking');
  const keys = Array.from({ length: MESSAGES }, (_, i) => `kill:r1:0:user${i}`);
  await db.copyCsv(
    'outbox',
    [
      'idempotency_key',
      'workspace_id',
      'campaign_id',
      'run_id',
      'step',
      'user_id',
      'channel',
      'class',
      'send_at',
      'cost_cents',
      'status',
      'created_at',
    ],
    keys
      .map((k, i) =>
        csvRow([k, 'default', 'kill', 'r1', '0', `user${i}`, 'sms', 'marketing', AT, 5, 'sent', AT]),
      )
      .join(''),
  );
  const links = keys.flatMap((key) =>
    Array.from({ length: LINKS_PER_MESSAGE }, (_, i) => ({ code: linkCode(secret, key, i), key })),
  );
  await saveShortLinks(
    db,
    links.map((l, i) => ({
      code: l.code,
      workspaceId: 'default',
      idempotencyKey: l.key,
      url: `https://shop.example.com/back?l=${i}`,
    })),
    Date.parse(AT),
  );
  return links;
};

type Outcome = 'acked' | 'unknown';

/** Clicks links in order from 8 clients until `killAfter` are acknowledged, then SIGKILLs the server. */
const clickUntilKilled = async (
  env: Record<string, string>,
  links: readonly { code: string }[],
  from: number,
  killAfter: number,
  outcome: Map<string, Outcome>,
): Promise<number> => {
  const server = await startChildServer(env);
  let next = from;
  let acked = 0;
  let killed = false;
  const worker = async () => {
    while (!killed && next < links.length) {
      const code = links[next++]?.code ?? '';
      outcome.set(code, 'unknown');
      try {
        const res = await fetch(`${server.url}/l/${code}`, { redirect: 'manual' });
        await res.arrayBuffer();
        expect(res.status).toBe(302);
        outcome.set(code, 'acked');
        acked += 1;
        if (acked >= killAfter && !killed) {
          killed = true;
          server.child.kill('SIGKILL');
        }
      } catch (e) {
        // The connection dropped by the kill: the click may or may not have been stored.
        if (!killed) throw e;
      }
    }
  };
  await Promise.all(Array.from({ length: 8 }, worker));
  expect(killed).toBe(true);
  expect(await server.exited).toBeNull();
  return next;
};

const scenario = async (name: string, env: Record<string, string>, open: () => Promise<SqlClient>) => {
  const dataDir = env['REKINDLE_DATA_DIR'] ?? '';
  const seeding = await open();
  const links = await seed(seeding, dataDir);
  await seeding.close();

  const outcome = new Map<string, Outcome>();
  let next = 0;
  for (const killAfter of [150, 150]) {
    next = await clickUntilKilled(env, links, next, killAfter, outcome);
    // The kill left a journal behind: the restart replays it (clicks already stored among them).
    const journal = clickJournalPath(dataDir);
    expect(existsSync(journal) && statSync(journal).size > 0, `${name}: journal after kill`).toBe(true);
  }
  // Restart: the journal is stored before the server listens, so once it listens it may die again.
  const server = await startChildServer(env);
  server.child.kill('SIGKILL');
  await server.exited;

  const db = await open();
  try {
    const rows = await db.query<{ code: string; n: number }>(
      'SELECT code, count(*)::int AS n FROM link_clicks GROUP BY code',
    );
    const stored = new Map(rows.map((r) => [r.code, r.n]));
    const acked = [...outcome].filter(([, o]) => o === 'acked').map(([c]) => c);
    expect(acked.length).toBeGreaterThanOrEqual(300);
    // Every acknowledged click exactly once; an unanswered one at most once; nothing else.
    expect(acked.filter((c) => stored.get(c) !== 1)).toEqual([]);
    expect([...stored].filter(([c, n]) => n !== 1 || !outcome.has(c))).toEqual([]);

    const keyOf = new Map(links.map((l) => [l.code, l.key]));
    const clickedMessages = new Set([...stored.keys()].map((c) => keyOf.get(c)));
    const log = await db.query<{ idempotency_key: string; n: number }>(
      "SELECT idempotency_key, count(*)::int AS n FROM message_log WHERE kind = 'clicked' GROUP BY idempotency_key",
    );
    expect(log.filter((r) => r.n !== 1)).toEqual([]);
    expect(new Set(log.map((r) => r.idempotency_key))).toEqual(clickedMessages);
    const firsts = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM message_first_clicks');
    expect(firsts[0]?.n).toBe(clickedMessages.size);
  } finally {
    await db.close();
  }
};

describe('a click answered with 302 survives kill -9 and is counted once', () => {
  it('on the embedded default (PGlite control plane, DuckDB warehouse)', async () => {
    const dataDir = join(tmp.dir, 'pglite');
    await scenario('pglite', { ...QUIET, REKINDLE_DATA_DIR: dataDir }, () =>
      openSqlClient({ pgliteDir: join(dataDir, 'control') }),
    );
  }, 180_000);

  it('on PostgreSQL (control plane) with the DuckDB warehouse', async () => {
    const dataDir = join(tmp.dir, 'postgres');
    const schema = `clicks_kill_${process.pid}`;
    const url = new URL(inject('postgresUrl'));
    url.searchParams.set('options', `-c search_path=${schema}`);
    const open = () => openSqlClient({ databaseUrl: inject('postgresUrl'), pgliteDir: '', schema });
    try {
      await scenario(
        'postgres',
        { ...QUIET, REKINDLE_DATA_DIR: dataDir, DATABASE_URL: url.toString() },
        open,
      );
    } finally {
      const db = await open();
      await db.exec(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
      await db.close();
    }
  }, 180_000);
});
