import type { ChannelAdapter, OutgoingMessage } from '../../../core/delivery/message.ts';
import type { SqlClient } from '../../../storage/control/sql-client.ts';
import type { ConfigOf, SecretsOf } from '../provider-kinds.ts';
import { sendWithToken, SharedAccessToken } from './access-token.ts';
import { classifyWechatOa } from './wechat-oa-failures.ts';
import {
  failed,
  httpCall,
  isFailed,
  parseJson,
  vendorText,
  type Failed,
  type Fetch,
} from './http-outcome.ts';

/**
 * WeChat Official Account (微信公众号) template messages: `GET /cgi-bin/token?grant_type=
 * client_credential&appid&secret` for an access token (shared, see access-token.ts), then
 * `POST /cgi-bin/message/template/send?access_token=…` with the follower's openid (trait
 * `wecom_openid`), the template id, the landing URL and `data: {field: {value}}`.
 * `client_msg_id` carries the idempotency key (WeChat drops a repeated id for the same openid).
 */

export const DEFAULT_WECHAT_API = 'https://api.weixin.qq.com';

export const wechatTemplateBody = (m: OutgoingMessage): string | Failed => {
  if (m.content.channel !== 'wecom')
    return failed('never', 'wrong_channel', `a WeChat provider got ${m.content.channel} content`);
  const openId = m.recipient.wecomOpenId;
  if (!openId) return failed('next_provider', 'no_address', 'the user has no WeChat open id');
  return JSON.stringify({
    touser: openId,
    template_id: m.content.templateId,
    ...(m.content.landingUrl ? { url: m.content.landingUrl } : {}),
    client_msg_id: m.idempotencyKey,
    data: Object.fromEntries(Object.entries(m.content.fields).map(([k, v]) => [k, { value: v }])),
  });
};

/** A token-endpoint answer: the token, or why this provider cannot send now. */
export const wechatTokenGrant = (
  vendor: string,
  status: number,
  text: string,
): { value: string; expiresInMs: number } | Failed => {
  const j = parseJson(text) as
    { access_token?: unknown; expires_in?: unknown; errcode?: unknown; errmsg?: unknown } | undefined;
  if (typeof j?.access_token === 'string' && j.access_token !== '')
    return { value: j.access_token, expiresInMs: Number(j.expires_in ?? 7200) * 1000 };
  const code = String(j?.errcode ?? `http_${status}`);
  // -1 (system busy) passes; anything else (bad secret, IP not allowed, 45009) stays until fixed.
  return failed(
    code === '-1' || status >= 500 ? 'same_provider' : 'next_provider',
    `token_${code}`,
    `${vendor}: could not get an access token (${vendorText(j?.errmsg ?? code)})`,
  );
};

export const wechatOaAdapter = (
  providerId: string,
  cfg: ConfigOf<'wechat_oa'>,
  secrets: SecretsOf<'wechat_oa'>,
  deps: { db: SqlClient; fetch: Fetch; now: () => number },
): ChannelAdapter => {
  const base = (cfg.apiBaseUrl ?? DEFAULT_WECHAT_API).replace(/\/+$/, '');
  const tokens = new SharedAccessToken<Failed>(
    deps.db,
    { kind: 'wechat_oa', endpoint: base, credentialId: cfg.appId, secret: secrets.appSecret },
    async () => {
      const q = new URLSearchParams({
        grant_type: 'client_credential',
        appid: cfg.appId,
        secret: secrets.appSecret,
      });
      // Not the sender's signal: the token serves every sender, one abort must not waste it.
      const res = await httpCall(
        deps.fetch,
        `${base}/cgi-bin/token?${q}`,
        { method: 'GET' },
        AbortSignal.timeout(15_000),
      );
      return isFailed(res) ? res : wechatTokenGrant('wechat', res.status, res.text);
    },
    deps.now,
  );
  return {
    providerId,
    channel: 'wecom',
    send: async (m, signal) => {
      const body = wechatTemplateBody(m);
      if (typeof body !== 'string') return body;
      return sendWithToken(
        tokens,
        async (token) => {
          const res = await httpCall(
            deps.fetch,
            `${base}/cgi-bin/message/template/send?access_token=${encodeURIComponent(token)}`,
            { method: 'POST', headers: { 'content-type': 'application/json' }, body },
            signal,
          );
          return isFailed(res) ? res : classifyWechatOa(res.status, res.text);
        },
        'wechat',
      );
    },
  };
};
