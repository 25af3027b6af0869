import { randomBytes } from 'node:crypto';
import { afterEach, describe, expect, inject, it } from 'vitest';
import { loadMigrations, migrate } from '../src/storage/control/migrate.ts';
import { openSqlClient, type SqlClient } from '../src/storage/control/sql-client.ts';
import {
  addWriteKey,
  listWriteKeys,
  newWriteKey,
  revokeWriteKey,
  workspaceForWriteKey,
} from '../src/storage/control/write-keys.ts';

const opened: SqlClient[] = [];
afterEach(async () => {
  await Promise.all(opened.splice(0).map((c) => c.close()));
});

/** Each test gets its own schema on the real server, or its own in-memory PGlite. */
const backends = {
  postgres: async (schema: string) =>
    openSqlClient({ databaseUrl: inject('postgresUrl'), pgliteDir: '', schema }),
  pglite: async (schema: string) => openSqlClient({ pgliteDir: 'memory://', schema }),
};

describe.each(Object.entries(backends))('control plane on %s', (_name, open) => {
  const fresh = async (schema = `t_${randomBytes(4).toString('hex')}`) => {
    const db = await open(schema);
    opened.push(db);
    return { db, schema };
  };

  it('applies every migration once, and a second run applies nothing', async () => {
    const { db } = await fresh();
    const all = loadMigrations().map((m) => m.version);
    expect(await migrate(db)).toEqual(all);
    expect(await migrate(db)).toEqual([]);
    const ws = await db.query<{ id: string }>('SELECT id FROM workspaces');
    expect(ws).toEqual([{ id: 'default' }]);
  });

  it('stores write keys only as hashes, finds, lists and revokes them', async () => {
    const { db } = await fresh();
    await migrate(db);
    const key = newWriteKey();
    const info = await addWriteKey(db, key, 'ios app');
    expect(info).toMatchObject({
      workspaceId: 'default',
      name: 'ios app',
      prefix: key.slice(0, 6),
      revokedAt: null,
    });
    const raw = await db.query<{ key_hash: string }>('SELECT key_hash FROM write_keys');
    expect(raw[0]?.key_hash).toMatch(/^[0-9a-f]{64}$/);
    expect(JSON.stringify(raw)).not.toContain(key);
    expect(await workspaceForWriteKey(db, key)).toBe('default');
    expect(await workspaceForWriteKey(db, `${key}x`)).toBeNull();
    expect((await addWriteKey(db, key, 'again')).id).toBe(info.id);
    expect(await revokeWriteKey(db, info.id)).toBe(true);
    expect(await revokeWriteKey(db, info.id)).toBe(false);
    expect(await workspaceForWriteKey(db, key)).toBeNull();
    expect((await listWriteKeys(db))[0]?.revokedAt).toBeInstanceOf(Date);
  });

  it('rolls a failed transaction back completely', async () => {
    const { db } = await fresh();
    await migrate(db);
    await expect(
      db.transaction(async (tx) => {
        await tx.query(`INSERT INTO workspaces (id, name) VALUES ('shop', 'Shop')`);
        await tx.query(`INSERT INTO workspaces (id, name) VALUES ('shop', 'Shop again')`);
      }),
    ).rejects.toThrow(/duplicate key/);
    expect(await db.query('SELECT id FROM workspaces ORDER BY id')).toEqual([{ id: 'default' }]);
  });
});

describe('control plane on a shared PostgreSQL server', () => {
  it('lets concurrent starts migrate once (advisory lock)', async () => {
    const schema = `t_${randomBytes(4).toString('hex')}`;
    const a = await backends.postgres(schema);
    const b = await backends.postgres(schema);
    opened.push(a, b);
    const [ra, rb] = await Promise.all([migrate(a), migrate(b)]);
    expect([...ra, ...rb].sort((x, y) => x - y)).toEqual(loadMigrations().map((m) => m.version));
    expect(await a.query('SELECT count(*)::int AS n FROM workspaces')).toEqual([{ n: 1 }]);
  });

  it('refuses a schema name that is not a plain identifier', async () => {
    await expect(backends.postgres('x; DROP TABLE users')).rejects.toThrow(/invalid schema name/);
  });
});
