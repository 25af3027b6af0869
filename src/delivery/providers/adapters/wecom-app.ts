import type { WecomContent } from '../../../core/content/schema.ts';
import type { ChannelAdapter, OutgoingMessage } from '../../../core/delivery/message.ts';
import type { SqlClient } from '../../../storage/control/sql-client.ts';
import type { ConfigOf, SecretsOf } from '../provider-kinds.ts';
import { sendWithToken, SharedAccessToken } from './access-token.ts';
import { failed, httpCall, isFailed, type Failed, type Fetch } from './http-outcome.ts';
import { wechatTokenGrant } from './wechat-oa.ts';
import { classifyWecomApp } from './wecom-app-failures.ts';

/**
 * WeCom (企业微信) application messages: `GET /cgi-bin/gettoken?corpid&corpsecret` for the app's
 * access token (shared, see access-token.ts), then `POST /cgi-bin/message/send?access_token=…`
 * with `{touser: <member userid (trait wecom_userid)>, msgtype, agentid, <msgtype>: {…}}`.
 * WeCom has no idempotency key; its duplicate check drops the same content to the same member
 * within `duplicate_check_interval` (at most 4 h), which covers the worker's retries.
 *
 * The `wecom` channel content was written for WeChat template messages (`templateId` + `fields`,
 * optional `landingUrl`); WeCom has no templates, so `templateId` is ignored and:
 * - title: `title` if given, else the first non-empty field value;
 * - description: `description` if given, else the remaining field values, one per line (all of
 *   them when `title` is given);
 * - with a `landingUrl`: a `textcard` {title ≤128 bytes, description ≤512 bytes, url};
 * - without: a `text` message "title\ndescription" (≤2048 bytes).
 * Longer text is cut at a character boundary with "…" (WeCom would refuse or cut it itself).
 */

export const DEFAULT_WECOM_API = 'https://qyapi.weixin.qq.com';
/** WeCom's longest duplicate-check window: 4 hours. */
export const DUPLICATE_CHECK_SECONDS = 4 * 3600;

/** At most `maxBytes` of UTF-8, cut between characters, ending in "…" when cut. */
export const cutUtf8 = (s: string, maxBytes: number): string => {
  if (Buffer.byteLength(s) <= maxBytes) return s;
  let out = '';
  let bytes = 0;
  const room = maxBytes - Buffer.byteLength('…');
  for (const ch of s) {
    const n = Buffer.byteLength(ch);
    if (bytes + n > room) break;
    out += ch;
    bytes += n;
  }
  return `${out}…`;
};

export type WecomAppMessage =
  | { msgtype: 'textcard'; textcard: { title: string; description: string; url: string } }
  | { msgtype: 'text'; text: { content: string } };

export const wecomAppMessage = (c: WecomContent): WecomAppMessage => {
  const values = Object.values(c.fields)
    .map((v) => v.trim())
    .filter((v) => v !== '');
  const ownTitle = c.title?.trim() ?? '';
  const title = ownTitle || (values[0] ?? '');
  const description = c.description?.trim() || (ownTitle ? values : values.slice(1)).join('\n');
  if (c.landingUrl)
    return {
      msgtype: 'textcard',
      textcard: {
        title: cutUtf8(title, 128),
        // Both are required by WeCom: a one-line message repeats its title.
        description: cutUtf8(description || title, 512),
        url: c.landingUrl,
      },
    };
  return {
    msgtype: 'text',
    text: { content: cutUtf8([title, description].filter((s) => s).join('\n'), 2048) },
  };
};

export const wecomAppBody = (
  m: OutgoingMessage,
  agentId: number,
): { userId: string; body: string } | Failed => {
  if (m.content.channel !== 'wecom')
    return failed('never', 'wrong_channel', `a WeCom provider got ${m.content.channel} content`);
  const userId = m.recipient.wecomUserId;
  if (!userId) return failed('next_provider', 'no_address', 'the user has no WeCom userid');
  const msg = wecomAppMessage(m.content);
  return {
    userId,
    body: JSON.stringify({
      touser: userId,
      agentid: agentId,
      ...msg,
      enable_duplicate_check: 1,
      duplicate_check_interval: DUPLICATE_CHECK_SECONDS,
    }),
  };
};

export const wecomAppAdapter = (
  providerId: string,
  cfg: ConfigOf<'wecom'>,
  secrets: SecretsOf<'wecom'>,
  deps: { db: SqlClient; fetch: Fetch; now: () => number },
): ChannelAdapter => {
  const base = (cfg.apiBaseUrl ?? DEFAULT_WECOM_API).replace(/\/+$/, '');
  const tokens = new SharedAccessToken<Failed>(
    deps.db,
    // Each app (agent) of a corp has its own secret and token.
    {
      kind: 'wecom',
      endpoint: base,
      credentialId: `${cfg.corpId}/${cfg.agentId}`,
      secret: secrets.corpSecret,
    },
    async () => {
      const q = new URLSearchParams({ corpid: cfg.corpId, corpsecret: secrets.corpSecret });
      // Not the sender's signal: the token serves every sender, one abort must not waste it.
      const res = await httpCall(
        deps.fetch,
        `${base}/cgi-bin/gettoken?${q}`,
        { method: 'GET' },
        AbortSignal.timeout(15_000),
      );
      return isFailed(res) ? res : wechatTokenGrant('wecom', res.status, res.text);
    },
    deps.now,
  );
  return {
    providerId,
    channel: 'wecom',
    send: async (m, signal) => {
      const msg = wecomAppBody(m, cfg.agentId);
      if ('kind' in msg) return msg;
      return sendWithToken(
        tokens,
        async (token) => {
          const res = await httpCall(
            deps.fetch,
            `${base}/cgi-bin/message/send?access_token=${encodeURIComponent(token)}`,
            { method: 'POST', headers: { 'content-type': 'application/json' }, body: msg.body },
            signal,
          );
          return isFailed(res) ? res : classifyWecomApp(res.status, res.text, msg.userId);
        },
        'wecom',
      );
    },
  };
};
