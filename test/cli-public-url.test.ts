import { createServer, type AddressInfo } from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.ts';
import { createProviderAs } from '../src/delivery/providers/provider-service.ts';
import { providersOf } from '../src/delivery/providers/provider-runtime.ts';
import { openRuntime } from '../src/runtime.ts';
import { createUser } from '../src/storage/control/users.ts';
import { startChildServer } from './support/child-server.ts';
import { approvedCampaign, fillOutbox, startFakeProvider } from './support/delivery-fixtures.ts';
import { tempDir } from './support/tmp.ts';

const tmp = tempDir('rekindle-public-url-');
afterAll(() => tmp.cleanup());

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const freePort = (host: string) =>
  new Promise<number>((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, host, () => {
      const { port } = s.address() as AddressInfo;
      s.close(() => resolve(port));
    });
  });

const quiet = {
  REKINDLE_PLANNER_POLL_SECONDS: '0',
  REKINDLE_SCORE_EVERY_MINUTES: '0',
  REKINDLE_FACT_SHIP_MS: '0',
  REKINDLE_ATTRIBUTE_EVERY_MINUTES: '0',
  REKINDLE_ALERT_EVERY_SECONDS: '0',
  // Unset: the public URL is derived from where the server listens.
  REKINDLE_PUBLIC_URL: '',
};

/** Queues one marketing webhook message, serves with `args`, returns the unsubscribe link it carried. */
const unsubscribeLinkSent = async (dir: string, key: string, args: string[]) => {
  const fake = await startFakeProvider();
  try {
    const setup = await openRuntime(
      loadConfig({}, { dataDir: dir, logLevel: 'error', allowPrivateTargets: true }),
    );
    // Webhook messages go to the admin-configured webhook provider (here the fake, on loopback).
    const admin = await createUser(setup.control, { name: `admin-${key}`, role: 'admin' });
    if (!admin.ok) throw new Error('admin');
    const provider = await createProviderAs(
      providersOf(setup).context,
      { userId: admin.value.id, workspaceId: 'default', name: `admin-${key}`, role: 'admin' },
      {
        kind: 'webhook',
        name: `hook-${key}`,
        config: { url: fake.url },
        secrets: { secret: 'whsec-0123456789abcdef' },
      },
    );
    if (!provider.ok) throw new Error(JSON.stringify(provider.error));
    // The operator's document carries the link where the receiver wants it (webhook bodies are
    // posted as written, Liquid rendered inside string values).
    await approvedCampaign(setup.control, `cmp_${key}`, [
      {
        channel: 'webhook',
        url: fake.url,
        body: '{"user": {{ user.user_id | json }}, "unsubscribe_url": "{{ unsubscribe_url }}"}',
      },
    ]);
    await fillOutbox(setup.control, [
      {
        key: `cmp_${key}:run1:main:u1`,
        campaignId: `cmp_${key}`,
        userId: 'u1',
        channel: 'webhook',
        sendAt: Date.now() - 60_000,
      },
    ]);
    await setup.close();
    // Env says 8080 on 127.0.0.1; the flags must win, for the socket and for the links.
    const server = await startChildServer(
      {
        REKINDLE_DATA_DIR: dir,
        HOST: '127.0.0.1',
        PORT: '8080',
        REKINDLE_ALLOW_PRIVATE_TARGETS: '1',
        ...quiet,
      },
      args,
    );
    try {
      const deadline = Date.now() + 30_000;
      while (fake.seen.length === 0 && Date.now() < deadline) await sleep(50);
      return { url: server.url, body: fake.seen[0]?.body };
    } finally {
      server.child.kill('SIGTERM');
      await server.exited;
    }
  } finally {
    await fake.close();
  }
};

describe('rekindle serve --port/--host without REKINDLE_PUBLIC_URL', () => {
  it(
    'puts the port and host given on the command line into the links of messages',
    { timeout: 120_000 },
    async () => {
      const port = await freePort('127.0.0.2');
      const sent = await unsubscribeLinkSent(tmp.dir, 'flags', [
        '--port',
        String(port),
        '--host',
        '127.0.0.2',
      ]);
      expect(sent.url).toBe(`http://127.0.0.2:${port}`);
      expect(String(sent.body?.['unsubscribe_url'])).toMatch(
        new RegExp(`^http://127\\.0\\.0\\.2:${port}/u/`),
      );
    },
  );

  it('names the port actually taken when asked for port 0', { timeout: 120_000 }, async () => {
    const sent = await unsubscribeLinkSent(tmp.dir, 'zero', ['--port', '0']);
    expect(sent.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(sent.url).not.toMatch(/:0$/);
    expect(String(sent.body?.['unsubscribe_url']).startsWith(`${sent.url}/`)).toBe(true);
  });
});
