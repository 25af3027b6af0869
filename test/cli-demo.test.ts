import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { DEMO_CAMPAIGNS } from '../src/cli/demo-history.ts';
import { Warehouse } from '../src/storage/warehouse/warehouse.ts';
import { startChildServer } from './support/child-server.ts';
import { basicAuth } from './support/runtime.ts';
import { tempDir } from './support/tmp.ts';

const run = promisify(execFile);
const BIN = fileURLToPath(new URL('../bin/rekindle.js', import.meta.url));
const tmp = tempDir('rekindle-cli-');
afterAll(() => tmp.cleanup());

describe('rekindle demo (the quick start)', () => {
  it('loads the small data set once, prints a working write key, and the server accepts it', async () => {
    const env = { ...process.env, REKINDLE_DATA_DIR: tmp.dir };
    const first = await run(process.execPath, [BIN, 'demo', '--size', 'small', '--no-serve'], { env });
    expect(first.stdout).toMatch(/Loaded 10000 users and \d+ events/);
    const key = readFileSync(`${tmp.dir}/demo-write-key`, 'utf8').trim();
    expect(first.stdout).toContain(
      `Write key (Basic auth user name for /v1/track, /v1/identify, /v1/batch): ${key}`,
    );
    const token = readFileSync(`${tmp.dir}/demo-api-token`, 'utf8').trim();
    expect(first.stdout).toContain(
      `API token of user 'demo-admin' (admin; Authorization: Bearer …): ${token}`,
    );

    const second = await run(process.execPath, [BIN, 'demo', '--size', 'small', '--no-serve'], { env });
    expect(second.stdout).toMatch(/already holds \d+ events; not generating again/);
    expect(second.stdout).toContain(token);

    const server = await startChildServer({ REKINDLE_DATA_DIR: tmp.dir });
    const res = await fetch(`${server.url}/v1/track`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: basicAuth(key) },
      body: JSON.stringify({ userId: 'u0000001', event: 'order', properties: { amount: 99 } }),
    });
    expect(res.status).toBe(200);

    // The demo's saved audiences answer with real members from the demo data.
    const auth = { authorization: `Bearer ${token}` };
    const list = (await (await fetch(`${server.url}/v1/audiences`, { headers: auth })).json()) as {
      audiences: { id: string; name: string }[];
    };
    // The three starting points, and those the demo's past campaigns were sent to (demo-history.ts).
    expect(list.audiences.map((a) => a.name).sort()).toEqual(
      [
        '7 天内加购未下单',
        '渐行渐远的老买家',
        '分销渠道新用户流失风险',
        ...DEMO_CAMPAIGNS.map((c) => c.audience.name),
      ].sort(),
    );
    for (const a of list.audiences) {
      const preview = (await (
        await fetch(`${server.url}/v1/audiences/${a.id}/preview`, { headers: auth })
      ).json()) as {
        count: number;
      };
      expect(preview.count, a.name).toBeGreaterThan(0);
      expect(preview.count, a.name).toBeLessThan(10_000);
    }
    server.child.kill('SIGTERM');
    expect(await server.exited).toBe(0);

    const wh = await Warehouse.open(`${tmp.dir}/warehouse.duckdb`);
    const users = Number(await wh.scalar('SELECT count(*) FROM profiles'));
    // Besides the demo's past campaigns' orders (demo-history.ts), only the one tracked above.
    const http = Number(
      await wh.scalar(
        `SELECT count(*) FROM events WHERE source = 'http' AND message_id NOT LIKE 'demo-order-%'`,
      ),
    );
    wh.close();
    expect(users).toBe(10_000);
    expect(http).toBe(1);
  }, 240_000);
});
