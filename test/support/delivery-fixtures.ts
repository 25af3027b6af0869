import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { CampaignDefinition } from '../../src/core/campaigns/schema.ts';
import type { ChannelContent } from '../../src/core/content/schema.ts';
import { OUTBOX_COLUMNS } from '../../src/storage/control/outbox.ts';
import { insertCampaign } from '../../src/storage/control/campaigns.ts';
import { csvRow, type SqlClient } from '../../src/storage/control/sql-client.ts';

/** One request a fake provider saw. */
export interface SeenRequest {
  key: string;
  at: number;
  body: Record<string, unknown>;
  headers: IncomingMessage['headers'];
}

export interface FakeProvider {
  url: string;
  seen: SeenRequest[];
  /** Keys "delivered to the user": the first request per key. */
  delivered: Map<string, number>;
  close(): Promise<void>;
}

/**
 * A vendor API on loopback: records every request; `answer` decides the response (default 200
 * with the provider's id, the same id for a repeated key: the vendor deduplicates).
 */
export const startFakeProvider = async (
  answer: (req: SeenRequest, n: number, res: ServerResponse) => boolean | void = () => undefined,
): Promise<FakeProvider> => {
  const seen: SeenRequest[] = [];
  const delivered = new Map<string, number>();
  const counts = new Map<string, number>();
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const key = String(req.headers['idempotency-key'] ?? '');
      const r: SeenRequest = {
        key,
        at: Date.now(),
        body: JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>,
        headers: req.headers,
      };
      seen.push(r);
      const n = (counts.get(key) ?? 0) + 1;
      counts.set(key, n);
      if (answer(r, n, res) === true) return;
      if (!delivered.has(key)) delivered.set(key, delivered.size + 1);
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ id: `pm-${delivered.get(key)}` }));
    });
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/send`,
    seen,
    delivered,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
};

export const webhookContent = (url: string): ChannelContent => ({
  channel: 'webhook',
  url,
  body: '{"user": {{ user.user_id | json }}}',
});

/** An approved campaign with the given contents, owned by a fresh operator. */
export const approvedCampaign = async (
  db: SqlClient,
  id: string,
  content: ChannelContent[],
  extra: Partial<CampaignDefinition> = {},
): Promise<void> => {
  const owner = await db.query<{ id: string }>(
    `INSERT INTO users (workspace_id, name, role) VALUES ('default', $1, 'operator') RETURNING id`,
    [`owner-${id}`],
  );
  const definition: CampaignDefinition = {
    audienceId: 'aud',
    class: 'marketing',
    timing: { kind: 'one_off', at: '2026-01-01T00:00:00Z' },
    channels: content.map((c) => c.channel),
    content,
    priority: 50,
    category: 'recall',
    variants: [],
    holdoutShare: 0,
    outsideWindow: 'hold',
    ...extra,
  };
  await insertCampaign(db, {
    id,
    workspaceId: 'default',
    name: id,
    definition,
    ownerId: Number(owner[0]?.id),
    at: Date.UTC(2026, 0, 1),
  });
  await db.query(`UPDATE campaigns SET status = 'approved', approved_version = 1 WHERE id = $1`, [id]);
};

/** Outbox rows the way the planner writes them (COPY of its columns only). */
export const fillOutbox = async (
  db: SqlClient,
  rows: {
    key: string;
    campaignId: string;
    userId: string;
    channel: string;
    sendAt: number;
    class?: string;
    variant?: string | null;
  }[],
): Promise<void> => {
  for (let i = 0; i < rows.length; i += 50_000) {
    let csv = '';
    for (const r of rows.slice(i, i + 50_000))
      csv += csvRow([
        r.key,
        'default',
        r.campaignId,
        'run1',
        'main',
        r.userId,
        r.channel,
        r.class ?? 'marketing',
        r.variant ?? null,
        new Date(r.sendAt).toISOString(),
        5,
        new Date(r.sendAt).toISOString(),
      ]);
    await db.copyCsv('outbox', OUTBOX_COLUMNS, csv);
  }
};
