import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { validateContents } from '../src/core/content/index.ts';
import { webhookAdapter, webhookSignature } from '../src/delivery/adapters/webhook.ts';
import { Composer } from '../src/delivery/compose.ts';
import type { ClaimedRow } from '../src/outbox/claim.ts';
import { approvedCampaign } from './support/delivery-fixtures.ts';
import { openScenario, profile, seed, type ScenarioStore } from './support/score-scenario.ts';

/**
 * A webhook campaign posts the operator's JSON document as JSON (issue 17): checked as JSON when
 * saved (the error says where), Liquid rendered inside its string values (escaped as JSON
 * strings; `"{{ x | json }}"` keeps the value's type), and received by a real HTTP server as
 * that document, not as a string inside an envelope.
 */

const NOW = Date.UTC(2026, 10, 20, 3, 30);

describe('webhook bodies are JSON when saved', () => {
  const problems = (body: string) => {
    const r = validateContents([{ channel: 'webhook', body }]);
    return r.ok ? [] : r.error;
  };

  it('accepts JSON with Liquid in string values, refuses anything else with line and column', () => {
    expect(problems('{"user": "{{ user.user_id }}", "balance": "{{ user.balance | json }}"}')).toEqual([]);
    expect(problems('{"user": {{ user.user_id | json }}}')).toEqual([
      {
        path: 'content[0].body',
        message:
          'is not valid JSON: line 1, column 10 (character 9): Liquid outside a string value: put it in double quotes, e.g. "{{ user.city }}", or "{{ user.balance | json }}" for a typed value',
      },
    ]);
    expect(problems('{\n  "a": "x",\n  "b": 1,\n}')).toEqual([
      {
        path: 'content[0].body',
        message:
          "is not valid JSON: line 4, column 1 (character 24): expected a property name in double quotes, found '}'",
      },
    ]);
    expect(problems("{'a': 1}")[0]?.message).toBe(
      "is not valid JSON: line 1, column 2 (character 1): expected a property name in double quotes, found '''",
    );
    // A string value's template must still parse, named by its place in the document.
    expect(problems('{"items": [{"name": "{{ item.name | nope }}"}]}')).toEqual([
      { path: 'content[0].body.items[0].name', message: 'line 1, column 1: undefined filter: nope' },
    ]);
  });
});

describe('a webhook campaign posts its document to a real HTTP server', () => {
  let s: ScenarioStore;
  let server: Server;
  let url = '';
  const seen: { headers: IncomingHttpHeaders; raw: string }[] = [];

  beforeAll(async () => {
    s = await openScenario();
    s.setNow(NOW);
    await seed(s.warehouse, [
      profile('u1', NOW - 10 * 86_400_000, {
        city: '上海 "浦东"',
        balance: 1234.5,
        timezone: 'Asia/Shanghai',
      }),
    ]);
    await approvedCampaign(s.control, 'cmp_hook', [
      {
        channel: 'webhook',
        body: JSON.stringify({
          event: 'recall',
          user: { id: '{{ user.user_id }}', city: '{{ user.city }}' },
          balance: '{{ user.balance | json }}',
          note: '{{ user.city }} 的朋友, {{ "now" | date: "%H:%M" }}',
          tags: ['{{ campaign.name }}', 1, true, null],
          unsubscribe: '{{ unsubscribe_url }}',
        }),
      },
    ]);
    server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        seen.push({ headers: req.headers, raw: Buffer.concat(chunks).toString('utf8') });
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end('{"id":"hook-1"}');
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
  });
  afterAll(async () => {
    await new Promise<void>((r) => server.close(() => r()));
    await s.close();
  });

  it('sends the rendered document as application/json, signed, with the message in headers', async () => {
    const row: ClaimedRow = {
      idempotencyKey: 'cmp_hook:r:0:u1',
      workspaceId: 'default',
      campaignId: 'cmp_hook',
      runId: 'r',
      step: '0',
      userId: 'u1',
      channel: 'webhook',
      class: 'marketing',
      variant: null,
      sendAt: NOW,
      costCents: 0,
      attempts: 0,
      providerId: null,
      pinned: false,
      payload: null,
      claimToken: 'claim-test',
      startedAt: null,
    };
    const composer = new Composer({
      control: s.control,
      warehouse: s.warehouse,
      publicUrl: 'https://r.example.com',
    });
    const [m] = await composer.compose([row], NOW);
    if (!m?.ok) throw new Error(JSON.stringify(m));
    const adapter = webhookAdapter({
      providerId: 'hook',
      channel: 'webhook',
      url,
      secret: 'whsec-0123456789abcdef',
    });
    const outcome = await adapter.send(m.message, new AbortController().signal);
    await adapter.close();
    expect(outcome).toEqual({ kind: 'accepted', providerMessageId: 'hook-1' });

    expect(seen).toHaveLength(1);
    const [req] = seen;
    expect(req?.headers['content-type']).toBe('application/json');
    expect(req?.headers['idempotency-key']).toBe('cmp_hook:r:0:u1');
    expect(req?.headers['x-rekindle-campaign-id']).toBe('cmp_hook');
    expect(req?.headers['x-rekindle-user-id']).toBe('u1');
    expect(req?.headers['x-rekindle-signature']).toBe(
      webhookSignature('whsec-0123456789abcdef', req?.raw ?? ''),
    );
    const body = JSON.parse(req?.raw ?? '') as Record<string, unknown>;
    const unsubscribe = String(body['unsubscribe']);
    expect(unsubscribe.startsWith('https://r.example.com/u/')).toBe(true);
    expect(body).toEqual({
      event: 'recall',
      user: { id: 'u1', city: '上海 "浦东"' },
      balance: 1234.5,
      note: '上海 "浦东" 的朋友, 11:30',
      tags: ['cmp_hook', 1, true, null],
      unsubscribe,
    });
  });
});
