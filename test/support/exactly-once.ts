import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';
import type { Actor } from '../../src/core/auth/roles.ts';
import type { ChannelContent } from '../../src/core/content/schema.ts';
import { createProviderAs } from '../../src/delivery/providers/provider-service.ts';
import { providersOf } from '../../src/delivery/providers/provider-runtime.ts';
import type { Runtime } from '../../src/runtime.ts';
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
 * answers 200 after `delayMs`, counting copies by `to` (SMS) or by the body's recipient user id.
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
      c.hit(body.to ?? body.recipient?.userId ?? '?');
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

export const phoneOf = (i: number) => `138${String(i).padStart(8, '0')}`;
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
