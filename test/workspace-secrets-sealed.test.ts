import { randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { keyId, loadMasterKeys, sealedWith } from '../src/lib/secret-box.ts';
import { signUnsubscribe, type UnsubscribeClaim } from '../src/core/tracking/unsubscribe-token.ts';
import {
  bindMasterKeys,
  existingWorkspaceSecret,
  rotateWorkspaceSecrets,
  workspaceSecret,
} from '../src/storage/control/workspace-secrets.ts';
import { checkUnsubscribeToken } from '../src/tracking/unsubscribe.ts';
import { startTestServer, type TestServer } from './support/runtime.ts';
import { tempDir } from './support/tmp.ts';

/**
 * Issue 13, point 5c: workspace signing secrets are sealed with the master key at rest, rows
 * written in clear by an earlier version are sealed without changing the secret (tokens already
 * sent keep verifying), and `rotate-key` re-seals them.
 */

const NOW = Date.UTC(2026, 10, 20, 12);
const claim: UnsubscribeClaim = {
  workspaceId: 'default',
  userId: 'u1',
  channel: 'sms',
  idempotencyKey: 'k1',
};

let server: TestServer | undefined;
const dirs: { cleanup(): void }[] = [];
afterEach(async () => {
  await server?.stop();
  server = undefined;
  for (const d of dirs.splice(0)) d.cleanup();
});

const storedRows = async (s: TestServer) =>
  s.rt.control.query<{ name: string; secret: string }>(
    'SELECT name, secret FROM workspace_secrets ORDER BY name',
  );

describe('workspace secrets at rest', () => {
  it('stores new secrets sealed: the database text never holds the secret', async () => {
    server = await startTestServer({ clock: () => NOW });
    const secret = await workspaceSecret(server.rt.control, 'default', 'unsubscribe');
    expect(await workspaceSecret(server.rt.control, 'default', 'unsubscribe')).toBe(secret);
    const rows = await storedRows(server);
    expect(rows).toHaveLength(1);
    expect(rows[0]?.secret.startsWith('v1.')).toBe(true);
    expect(rows[0]?.secret).not.toContain(secret);
    const token = signUnsubscribe(secret, claim);
    expect((await checkUnsubscribeToken(server.rt.control, token)).ok).toBe(true);
  });

  it('seals rows an earlier version wrote in clear at startup, and their tokens still verify', async () => {
    const tmp = tempDir();
    dirs.push(tmp);
    const plain = randomBytes(32).toString('base64url');
    const tracking = randomBytes(32).toString('base64url');
    let s = await startTestServer({ clock: () => NOW, dataDir: tmp.dir });
    // What the previous version left behind: the secrets in clear.
    await s.rt.control.query(
      `INSERT INTO workspace_secrets (workspace_id, name, secret) VALUES ('default', 'unsubscribe', $1),
         ('default', 'tracking', $2)`,
      [plain, tracking],
    );
    const token = signUnsubscribe(plain, claim);
    await s.stop();

    s = await startTestServer({ clock: () => NOW, dataDir: tmp.dir });
    server = s;
    const rows = await storedRows(s);
    expect(rows.map((r) => r.name)).toEqual(['tracking', 'unsubscribe']);
    for (const r of rows) {
      expect(r.secret.startsWith('v1.')).toBe(true);
      expect(r.secret).not.toContain(plain);
      expect(r.secret).not.toContain(tracking);
    }
    expect(await existingWorkspaceSecret(s.rt.control, 'default', 'unsubscribe')).toBe(plain);
    expect(await workspaceSecret(s.rt.control, 'default', 'tracking')).toBe(tracking);
    expect(await checkUnsubscribeToken(s.rt.control, token)).toMatchObject({ ok: true });
    // The public page agrees: the old link opens, a forged one does not.
    const good = await fetch(`${s.url}/u/${token}`);
    expect(good.status).toBe(200);
    await good.text();
    const forged = await fetch(`${s.url}/u/${signUnsubscribe('not-the-secret', claim)}`);
    expect(forged.status).not.toBe(200);
    await forged.text();
  });

  it('seals a clear row when it is first read, and rotate-key re-seals every row under the new key', async () => {
    server = await startTestServer({ clock: () => NOW });
    const db = server.rt.control;
    const plain = randomBytes(32).toString('base64url');
    await db.query(
      `INSERT INTO workspace_secrets (workspace_id, name, secret) VALUES ('default', 'unsubscribe', $1)`,
      [plain],
    );
    expect(await existingWorkspaceSecret(db, 'default', 'unsubscribe')).toBe(plain);
    expect((await storedRows(server))[0]?.secret.startsWith('v1.')).toBe(true);
    const other = await workspaceSecret(db, 'default', 'offer-codes');

    const next = { current: randomBytes(32), previous: [] as Buffer[] };
    const current = loadMasterKeys(process.env, server.dataDir).current;
    for (const r of await storedRows(server)) expect(sealedWith(r.secret)).toBe(keyId(current));
    // The old key must stay readable (REKINDLE_MASTER_KEY_PREVIOUS) until every row is re-sealed.
    await expect(rotateWorkspaceSecrets(db, next)).rejects.toThrow(/not configured/);
    expect(await rotateWorkspaceSecrets(db, { current: next.current, previous: [current] })).toBe(2);
    for (const r of await storedRows(server)) expect(sealedWith(r.secret)).toBe(keyId(next.current));
    // With the new key alone, the same secrets come back, so tokens signed before still verify.
    bindMasterKeys(db, next);
    expect(await existingWorkspaceSecret(db, 'default', 'unsubscribe')).toBe(plain);
    expect(await workspaceSecret(db, 'default', 'offer-codes')).toBe(other);
    expect(await checkUnsubscribeToken(db, signUnsubscribe(plain, claim))).toMatchObject({ ok: true });
  });
});
