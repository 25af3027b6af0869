import { randomBytes } from 'node:crypto';
import { afterEach, describe, expect, inject, it } from 'vitest';
import {
  createAudience,
  editAudience,
  getAudience,
  softDeleteAudience,
} from '../src/storage/control/audiences.ts';
import { auditFor, type AuditEntry } from '../src/storage/control/audit-log.ts';
import { writeAudited } from '../src/storage/control/audited-write.ts';
import { migrate } from '../src/storage/control/migrate.ts';
import { openSqlClient, type SqlClient } from '../src/storage/control/sql-client.ts';
import { createUser } from '../src/storage/control/users.ts';

/**
 * The audited-write helper behind audiences, warning rules, campaigns and providers: the change
 * and its audit entry land together or not at all, and an edit from a stale version writes nothing.
 */

const opened: SqlClient[] = [];
afterEach(async () => {
  await Promise.all(opened.splice(0).map((c) => c.close()));
});

const backends = {
  postgres: async (schema: string) =>
    openSqlClient({ databaseUrl: inject('postgresUrl'), pgliteDir: '', schema }),
  pglite: async (schema: string) => openSqlClient({ pgliteDir: 'memory://', schema }),
};

const definition = { all: [{ attr: 'city', op: 'eq', value: 'Hangzhou' }] };

describe.each(Object.entries(backends))('audited writes on %s', (_name, open) => {
  const fresh = async () => {
    const db = await open(`t_${randomBytes(4).toString('hex')}`);
    opened.push(db);
    await migrate(db);
    const user = await createUser(db, { name: 'ops', role: 'operator' });
    if (!user.ok) throw new Error('user exists');
    return { db, ownerId: user.value.id };
  };
  const audit = (action: string, id: string, at: number): AuditEntry => ({
    workspaceId: 'default',
    at,
    actorId: null,
    action,
    objectType: 'audience',
    objectId: id,
    details: { step: action },
  });

  it('creates with one audit entry, refuses a taken name without one', async () => {
    const { db, ownerId } = await fresh();
    const a = {
      id: 'aud_1',
      workspaceId: 'default',
      name: 'Lapsed',
      description: '',
      definition,
      ownerId,
      at: 1000,
    };
    expect(await createAudience(db, a, audit('audience.create', 'aud_1', 1000))).toBe('written');
    const again = { ...a, id: 'aud_2', name: 'lapsed' };
    expect(await createAudience(db, again, audit('audience.create', 'aud_2', 2000))).toBe('name_taken');
    expect(await getAudience(db, 'default', 'aud_2')).toBeNull();
    expect((await auditFor(db, 'default', 'audience', 'aud_1')).map((e) => e.action)).toEqual([
      'audience.create',
    ]);
    expect(await auditFor(db, 'default', 'audience', 'aud_2')).toEqual([]);
    const saved = await getAudience(db, 'default', 'aud_1');
    expect(saved).toMatchObject({
      id: 'aud_1',
      version: 1,
      ownerName: 'ops',
      createdAt: 1000,
      updatedAt: 1000,
    });
    expect(saved?.definition).toEqual(definition);
  });

  it('edits at the expected version only; a stale or deleted row gets no write and no entry', async () => {
    const { db, ownerId } = await fresh();
    const a = {
      id: 'aud_1',
      workspaceId: 'default',
      name: 'Lapsed',
      description: '',
      definition,
      ownerId,
      at: 1000,
    };
    await createAudience(db, a, audit('audience.create', 'aud_1', 1000));
    const edit = { ...a, name: 'Lapsed users', expectedVersion: 1, at: 2000 };
    expect(await editAudience(db, edit, audit('audience.update', 'aud_1', 2000))).toBe('written');
    expect(await editAudience(db, { ...edit, at: 3000 }, audit('audience.update', 'aud_1', 3000))).toBe(
      'stale',
    );
    expect(await getAudience(db, 'default', 'aud_1')).toMatchObject({
      name: 'Lapsed users',
      version: 2,
      updatedAt: 2000,
    });
    await softDeleteAudience(db, 'default', 'aud_1', 4000);
    const late = { ...edit, expectedVersion: 2, at: 5000 };
    expect(await editAudience(db, late, audit('audience.update', 'aud_1', 5000))).toBe('stale');
    expect((await auditFor(db, 'default', 'audience', 'aud_1')).map((e) => e.at)).toEqual([1000, 2000]);
  });

  it('rolls the change back with the entry when the write throws', async () => {
    const { db } = await fresh();
    await expect(
      writeAudited(
        db,
        async (tx) => {
          await tx.query(`INSERT INTO workspaces (id, name) VALUES ('w2', 'second')`);
          throw new Error('boom');
        },
        audit('audience.create', 'aud_x', 1000),
      ),
    ).rejects.toThrow('boom');
    expect(await db.query(`SELECT id FROM workspaces WHERE id = 'w2'`)).toEqual([]);
    expect(await auditFor(db, 'default', 'audience', 'aud_x')).toEqual([]);
  });

  it('rolls the change back when its audit entry cannot be written', async () => {
    const { db } = await fresh();
    const entry = { ...audit('audience.create', 'aud_x', 1000), workspaceId: 'no_such_workspace' };
    await expect(
      writeAudited(
        db,
        async (tx) => {
          await tx.query(`INSERT INTO workspaces (id, name) VALUES ('w2', 'second')`);
          return 'written';
        },
        entry,
      ),
    ).rejects.toThrow();
    expect(await db.query(`SELECT id FROM workspaces WHERE id = 'w2'`)).toEqual([]);
  });
});
