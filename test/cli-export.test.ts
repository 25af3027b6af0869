import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { createSavedAudience } from '../src/audience/saved-audiences.ts';
import { loadConfig } from '../src/config.ts';
import { maskPhone } from '../src/core/audience/mask.ts';
import { loadDemo } from '../src/demo/load-demo.ts';
import { openRuntime } from '../src/runtime.ts';
import { createUser } from '../src/storage/control/users.ts';
import { tempDir } from './support/tmp.ts';

const run = promisify(execFile);
const BIN = fileURLToPath(new URL('../bin/rekindle.js', import.meta.url));
const tmp = tempDir('rekindle-export-');
afterAll(() => tmp.cleanup());

describe('rekindle export audience', () => {
  it('snapshots a saved audience and writes its members as CSV under a user, with the API rules', async () => {
    const rt = await openRuntime(loadConfig({}, { dataDir: tmp.dir, logLevel: 'error' }));
    let audienceId = '';
    let phones = new Map<string, string | null>();
    try {
      await loadDemo(rt.warehouse, { size: 400, seed: 3, now: Date.UTC(2026, 10, 1) });
      const op = await createUser(rt.control, { name: 'olga', role: 'operator' });
      await createUser(rt.control, { name: 'vera', role: 'viewer' });
      if (!op.ok) throw new Error('user');
      const created = await createSavedAudience(
        rt,
        { userId: op.value.id, workspaceId: 'default', name: 'olga', role: 'operator' },
        { name: 'Has a phone', definition: { kind: 'attribute', attribute: 'phone', op: 'exists' } },
      );
      if (!created.ok) throw new Error(JSON.stringify(created.error));
      audienceId = created.value.id;
      const rows = await rt.warehouse.query<{ user_id: string; phone: string | null }>(
        'SELECT user_id, phone FROM profiles WHERE phone IS NOT NULL',
      );
      phones = new Map(rows.map((r) => [r.user_id, r.phone]));
    } finally {
      await rt.close();
    }
    expect(phones.size).toBeGreaterThan(0);
    const env = { ...process.env, REKINDLE_DATA_DIR: tmp.dir };
    const out = `${tmp.dir}/members.csv`;
    await run(
      process.execPath,
      [BIN, 'export', 'audience', audienceId, '--as', 'olga', '--columns', 'phone,city', '--out', out],
      { env },
    );
    const lines = readFileSync(out, 'utf8').trim().split(/\r?\n/);
    expect(lines[0]).toBe('user_id,phone,city');
    expect(lines.length - 1).toBe(phones.size);
    for (const line of lines.slice(1, 20)) {
      const [user, phone] = line.split(',');
      expect(phone).toBe(maskPhone(phones.get(user ?? '') ?? null));
    }

    // A viewer may not export; an operator may not see contacts in clear; unknown columns are named.
    const refused = async (args: string[]) =>
      run(process.execPath, [BIN, 'export', 'audience', audienceId, ...args], { env }).then(
        () => '',
        (e: { stderr: string }) => e.stderr,
      );
    expect(await refused(['--as', 'vera'])).toMatch(/forbidden/);
    expect(await refused(['--as', 'olga', '--contacts', 'clear', '--columns', 'phone'])).toMatch(/forbidden/);
    expect(await refused(['--as', 'olga', '--columns', 'phone,shoe_size'])).toContain(
      "unknown export column 'shoe_size'",
    );
    expect(await refused(['--as', 'nobody'])).toContain("no active user 'nobody'");
  }, 120_000);
});
