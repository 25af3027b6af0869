import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';
import type { Actor } from '../../src/core/auth/roles.ts';
import type { ChannelContent } from '../../src/core/content/schema.ts';
import { createProviderAs } from '../../src/delivery/providers/provider-service.ts';
import { providersOf } from '../../src/delivery/providers/provider-runtime.ts';
import { loadConfig } from '../../src/config.ts';
import { openRuntime, type Runtime } from '../../src/runtime.ts';
import { startChildServer } from './child-server.ts';
import { createUser } from '../../src/storage/control/users.ts';
import { approvedCampaign, fillOutbox } from './delivery-fixtures.ts';
import { profile, seed } from './score-scenario.ts';

/**
 * A receiver that counts what reached each recipient, the way a user's phone or mailbox would:
 * it never de-duplicates, so a message sent twice shows as two copies.
 */
export interface CopyCounter {
  /** Copies received per recipient (phone, e-mail address or user id). */
  copies: Map<string, number>;
  /** Every request, in arrival order. */
  total(): number;
  duplicates(): number;
  close(): Promise<void>;
}

const counter = () => {
  const copies = new Map<string, number>();
  let total = 0;
  return {
    copies,
    hit: (who: string) => {
      total++;
      copies.set(who, (copies.get(who) ?? 0) + 1);
    },
    total: () => total,
    duplicates: () => [...copies.values()].reduce((t, n) => t + Math.max(0, n - 1), 0),
  };
};

/**
 * An SMS gateway (the `sms_http` kind's protocol) or a plain webhook endpoint on loopback that
 * answers 200 after `delayMs`, counting copies by `to` (SMS) or by the recipient's user id (the
 * `X-Rekindle-User-Id` header of a webhook campaign's post, else the body's `recipient`).
 */
export const startCountingHttp = async (delayMs = 0): Promise<CopyCounter & { url: string }> => {
  const c = counter();
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (b: Buffer) => chunks.push(b));
    req.on('end', () => {
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as {
        to?: string;
        recipient?: { userId?: string };
      };
      // A webhook campaign's body is the operator's document: the recipient is in the headers.
      const user = req.headers['x-rekindle-user-id'];
      c.hit(body.to ?? body.recipient?.userId ?? (typeof user === 'string' ? user : '?'));
      setTimeout(() => {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ id: `vendor-${c.total()}` }));
      }, delayMs);
    });
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/send`,
    copies: c.copies,
    total: c.total,
    duplicates: c.duplicates,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
};

/** A real SMTP server (smtp-server) that counts the mails each address received. */
export const startCountingSmtp = async (): Promise<CopyCounter & { port: number }> => {
  const c = counter();
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS', 'AUTH'],
    logger: false,
    onData: (stream, session, cb) => {
      stream.on('data', () => undefined);
      stream.on('end', () => {
        for (const r of session.envelope.rcptTo) c.hit(r.address);
        cb();
      });
    },
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.server.address() as AddressInfo;
  return {
    port,
    copies: c.copies,
    total: c.total,
    duplicates: c.duplicates,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
};

export const smsContent: ChannelContent = {
  channel: 'sms',
  text: '好久不见，送你一张券 回T退订',
  signature: '【Rekindle】',
};
export const emailContent: ChannelContent = {
  channel: 'email',
  subject: 'We miss you',
  html: '<p>Hello {{ user.user_id }}</p><p><a href="{{ unsubscribe_url }}">退订</a></p>',
};
export const webhookContent: ChannelContent = {
  channel: 'webhook',
  url: 'https://unused.example/hook',
  body: '{"user": {{ user.user_id | json }}}',
};

/** As the profile stores it (written straight into the warehouse, national form). */
export const phoneOf = (i: number) => `138${String(i).padStart(8, '0')}`;
/** As the SMS gateway receives it: E.164 (issue 14). */
export const sentPhoneOf = (i: number) => `+86${phoneOf(i)}`;
export const emailOf = (i: number) => `u${i}@mail.example`;

/**
 * Writes what a planned campaign leaves behind: `n` users with phones and e-mail addresses, one
 * configured provider (through the admin API's service, so its secrets are sealed as in
 * production), a running campaign past its last slot, and its outbox rows due at `sendAt(i)`.
 */
export const prepareCampaign = async (
  rt: Runtime,
  o: {
    campaignId: string;
    n: number;
    content: ChannelContent;
    provider: {
      kind: string;
      config: Record<string, unknown>;
      secrets: Record<string, unknown>;
      rate: number;
    };
    sendAt: (i: number) => number;
  },
): Promise<{ admin: Actor; providerId: string }> => {
  const now = Date.now();
  await seed(
    rt.warehouse,
    Array.from({ length: o.n }, (_, i) =>
      profile(`u${i}`, now - 90 * 86_400_000, {
        phone: phoneOf(i),
        email: emailOf(i),
        consent_sms: true,
        consent_email: true,
      }),
    ),
  );
  const u = await createUser(rt.control, { name: `admin-${o.campaignId}`, role: 'admin' });
  if (!u.ok) throw new Error('admin');
  const admin: Actor = { userId: u.value.id, workspaceId: 'default', name: u.value.name, role: 'admin' };
  const p = await createProviderAs(providersOf(rt).context, admin, {
    kind: o.provider.kind,
    name: `${o.provider.kind}-${o.campaignId}`,
    ratePerSecond: o.provider.rate,
    config: o.provider.config,
    secrets: o.provider.secrets,
  });
  if (!p.ok) throw new Error(`provider: ${JSON.stringify(p.error)}`);
  await approvedCampaign(rt.control, o.campaignId, [o.content]);
  await rt.control.query(`UPDATE campaigns SET status = 'running', awaiting_delivery = true WHERE id = $1`, [
    o.campaignId,
  ]);
  await fillOutbox(
    rt.control,
    Array.from({ length: o.n }, (_, i) => ({
      key: `${o.campaignId}:run1:0:u${i}`,
      campaignId: o.campaignId,
      userId: `u${i}`,
      channel: o.content.channel,
      sendAt: o.sendAt(i),
    })),
  );
  return { admin, providerId: p.value.id };
};

/** Outbox rows per status, and message-log entries per kind, for one campaign. */
export const outcomesOf = async (rt: Runtime, campaignId: string) => {
  const outbox = await rt.control.query<{ status: string; n: string }>(
    `SELECT status, count(*) AS n FROM outbox WHERE campaign_id = $1 GROUP BY status ORDER BY status`,
    [campaignId],
  );
  const log = await rt.control.query<{ kind: string; entries: string; keys: string }>(
    `SELECT kind, count(*) AS entries, count(DISTINCT idempotency_key) AS keys FROM message_log
     WHERE campaign_id = $1 GROUP BY kind ORDER BY kind`,
    [campaignId],
  );
  const campaign = await rt.control.query<{ status: string }>('SELECT status FROM campaigns WHERE id = $1', [
    campaignId,
  ]);
  return {
    outbox: Object.fromEntries(outbox.map((r) => [r.status, Number(r.n)])),
    log: Object.fromEntries(log.map((r) => [r.kind, { entries: Number(r.entries), keys: Number(r.keys) }])),
    campaign: campaign[0]?.status,
  };
};

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Waits until the receiver got `n` requests and then nothing more for `quietMs`. */
export const settle = async (rx: CopyCounter, n: number, quietMs: number, limitMs: number) => {
  const end = Date.now() + limitMs;
  let last = -1;
  let since = Date.now();
  while (Date.now() < end) {
    const t = rx.total();
    if (t !== last) {
      last = t;
      since = Date.now();
    } else if (t >= n && Date.now() - since >= quietMs) return;
    await sleep(200);
  }
};

/** What a delivery scenario left: at the receiver, in the outbox and in the message log. */
export interface ScenarioFigures {
  messages: number;
  kills: number;
  received: number;
  duplicates: number;
  sent: number;
  unknown: number;
  /** Messages with no outcome (pending, sending) or any other status: should be 0. */
  other: number;
  logSentKeys: number;
  logSentEntries: number;
  logUnknownKeys: number;
  /** `sent` in the outbox but not received exactly once. */
  sentNotReceivedOnce: number;
  campaign: string | undefined;
  /** Exit codes of the processes killed with SIGKILL (null each) and of the last, stopped one. */
  killedExits: (number | null)[];
  lastExit: number | null;
}

const figuresOf = async (
  dir: string,
  campaignId: string,
  rx: CopyCounter,
  who: (userId: string) => string,
  run: { messages: number; kills: number; killedExits: (number | null)[]; lastExit: number | null },
): Promise<ScenarioFigures> => {
  const after = await openRuntime(
    loadConfig({}, { dataDir: dir, logLevel: 'error', allowPrivateTargets: true }),
  );
  try {
    const o = await outcomesOf(after, campaignId);
    const rows = await after.control.query<{ user_id: string; status: string }>(
      `SELECT user_id, status FROM outbox WHERE campaign_id = $1`,
      [campaignId],
    );
    const sent = o.outbox['sent'] ?? 0;
    const unknown = o.outbox['unknown'] ?? 0;
    return {
      ...run,
      received: rx.total(),
      duplicates: rx.duplicates(),
      sent,
      unknown,
      other: run.messages - sent - unknown,
      logSentKeys: o.log['sent']?.keys ?? 0,
      logSentEntries: o.log['sent']?.entries ?? 0,
      logUnknownKeys: o.log['unknown']?.keys ?? 0,
      sentNotReceivedOnce: rows.filter((r) => r.status === 'sent' && rx.copies.get(who(r.user_id)) !== 1)
        .length,
      campaign: o.campaign,
    };
  } finally {
    await after.close();
  }
};

/**
 * The default-settings scenario of issue 13: `rekindle serve` with no delivery setting (60 s
 * lease, 1 000-row claims, two loops) sends `n` SMS through an `sms_http` gateway limited to
 * 10/s. 60 % are due now and the rest 100 s later, as quiet hours or a second step spread a
 * plan: one loop runs out of work while the other still holds a slow claim.
 */
export const runDefaultSettingsScenario = async (dir: string, n = 2000): Promise<ScenarioFigures> => {
  const gateway = await startCountingHttp();
  try {
    const rt = await openRuntime(
      loadConfig({}, { dataDir: dir, logLevel: 'error', allowPrivateTargets: true }),
    );
    const now = Date.now();
    await prepareCampaign(rt, {
      campaignId: 'cmp_sms10',
      n,
      content: smsContent,
      provider: {
        kind: 'sms_http',
        config: { url: gateway.url },
        secrets: { authValue: 'gw-key' },
        rate: 10,
      },
      sendAt: (i) => (i < n * 0.6 ? now - 1000 : now + 100_000),
    });
    await rt.close();
    const server = await startChildServer({ REKINDLE_DATA_DIR: dir, REKINDLE_ALLOW_PRIVATE_TARGETS: '1' });
    await settle(gateway, n, 8000, 60_000 + (n / 10) * 1500);
    server.child.kill('SIGTERM');
    const lastExit = await server.exited;
    return await figuresOf(dir, 'cmp_sms10', gateway, (u) => sentPhoneOf(Number(u.slice(1))), {
      messages: n,
      kills: 0,
      killedExits: [],
      lastExit,
    });
  } finally {
    await gateway.close();
  }
};

/**
 * `n` messages through an SMTP server or a plain webhook (neither de-duplicates), the server
 * killed with SIGKILL each time the receiver reaches the next of `killAt`, then started once more
 * and left to finish. A 5 s lease, so restarts do not each wait a minute for the dead one's claim.
 */
export const runKillScenario = async (
  dir: string,
  kind: 'smtp' | 'webhook',
  n = 599,
  killAt: readonly number[] = [60, 160, 260, 360, 460],
): Promise<ScenarioFigures> => {
  const smtp = kind === 'smtp' ? await startCountingSmtp() : undefined;
  const hook = kind === 'webhook' ? await startCountingHttp(20) : undefined;
  const rx: CopyCounter = smtp ?? (hook as CopyCounter);
  try {
    const rt = await openRuntime(
      loadConfig({}, { dataDir: dir, logLevel: 'error', allowPrivateTargets: true }),
    );
    const id = `cmp_kill_${kind}`;
    await prepareCampaign(rt, {
      campaignId: id,
      n,
      content: smtp ? emailContent : webhookContent,
      provider: smtp
        ? {
            kind: 'smtp',
            config: { host: '127.0.0.1', port: smtp.port, secure: false, from: 'news@shop.example' },
            secrets: {},
            rate: 40,
          }
        : {
            kind: 'webhook',
            config: { url: hook?.url },
            secrets: { secret: 'whsec-0123456789abcdef' },
            rate: 40,
          },
      sendAt: () => Date.now() - 1000,
    });
    await rt.close();
    // The receivers listen on 127.0.0.1, so private targets are allowed.
    const env = {
      REKINDLE_DATA_DIR: dir,
      REKINDLE_ALLOW_PRIVATE_TARGETS: '1',
      REKINDLE_DELIVERY_LEASE_SECONDS: '5',
    };
    const killedExits: (number | null)[] = [];
    for (const threshold of killAt) {
      const server = await startChildServer(env);
      const end = Date.now() + 60_000;
      while (rx.total() < threshold && Date.now() < end) await sleep(10);
      server.child.kill('SIGKILL');
      killedExits.push(await server.exited);
    }
    const server = await startChildServer(env);
    // Done when nothing more arrives for longer than a lease.
    await settle(rx, 1, 12_000, 120_000);
    server.child.kill('SIGTERM');
    const lastExit = await server.exited;
    return await figuresOf(dir, id, rx, (u) => (smtp ? emailOf(Number(u.slice(1))) : u), {
      messages: n,
      kills: killedExits.length,
      killedExits,
      lastExit,
    });
  } finally {
    await rx.close();
  }
};
