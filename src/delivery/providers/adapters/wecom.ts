import type { ChannelAdapter, OutgoingMessage, SendOutcome } from '../../../core/delivery/message.ts';
import type { ConfigOf, SecretsOf } from '../provider-kinds.ts';
import { AccessTokenCache } from './access-token.ts';
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
 * WeChat official-account / WeCom template messages: `GET /cgi-bin/token` for an access token
 * (cached ~2 h), then `POST /cgi-bin/message/template/send?access_token=…` with the open id,
 * template id, landing URL and `data: {field: {value}}`. `client_msg_id` carries the
 * idempotency key (WeChat drops a repeated id).
 */

export const DEFAULT_WECHAT_API = 'https://api.weixin.qq.com';
/** The token is invalid or expired: fetch a new one and try once more. */
const TOKEN_ERRORS = new Set([40001, 40014, 42001]);
const NEVER = new Set([40003, 43004, 43101, 40037, 47003, 41028, 40036]);
const SAME = new Set([-1, 45047]);

export const wecomTemplateBody = (m: OutgoingMessage): string | Failed => {
  if (m.content.channel !== 'wecom')
    return failed('never', 'wrong_channel', `a wecom provider got ${m.content.channel} content`);
  const openId = m.recipient.wecomOpenId;
  if (!openId) return failed('never', 'no_address', 'the user has no WeChat open id');
  return JSON.stringify({
    touser: openId,
    template_id: m.content.templateId,
    ...(m.content.landingUrl ? { url: m.content.landingUrl } : {}),
    client_msg_id: m.idempotencyKey,
    data: Object.fromEntries(Object.entries(m.content.fields).map(([k, v]) => [k, { value: v }])),
  });
};

export const classifyWecom = (status: number, body: string): SendOutcome | 'token_invalid' => {
  const j = parseJson(body) as { errcode?: unknown; errmsg?: unknown; msgid?: unknown } | undefined;
  if (j === undefined || (typeof j.errcode !== 'number' && j.errcode !== undefined))
    return status >= 500
      ? failed('same_provider', `http_${status}`, 'wecom: provider error')
      : failed('same_provider', 'vendor_unreadable', 'wecom: unreadable answer');
  const code = typeof j.errcode === 'number' ? j.errcode : 0;
  if (code === 0 && j.msgid !== undefined) return { kind: 'accepted', providerMessageId: String(j.msgid) };
  if (TOKEN_ERRORS.has(code)) return 'token_invalid';
  const reason = `wecom: ${vendorText(j.errmsg ?? code)}`;
  if (NEVER.has(code)) return failed('never', `vendor_${code}`, reason);
  if (SAME.has(code)) return failed('same_provider', `vendor_${code}`, reason);
  // 45009 (daily quota), 48001 (no permission), 40013 (bad appid), …: not accepted here.
  return failed('next_provider', `vendor_${code}`, reason);
};

export const wecomAdapter = (
  providerId: string,
  cfg: ConfigOf<'wecom'>,
  secrets: SecretsOf<'wecom'>,
  deps: { fetch: Fetch; now: () => number },
): ChannelAdapter => {
  const base = (cfg.apiBaseUrl ?? DEFAULT_WECHAT_API).replace(/\/+$/, '');
  const tokens = new AccessTokenCache<Failed>(async () => {
    const q = new URLSearchParams({
      grant_type: 'client_credential',
      appid: cfg.appId,
      secret: secrets.appSecret,
    });
    const res = await httpCall(
      deps.fetch,
      `${base}/cgi-bin/token?${q}`,
      { method: 'GET' },
      AbortSignal.timeout(15_000),
    );
    if (isFailed(res)) return res;
    const j = parseJson(res.text) as
      { access_token?: unknown; expires_in?: unknown; errcode?: unknown } | undefined;
    if (typeof j?.access_token !== 'string')
      return failed(
        'next_provider',
        `token_${String(j?.errcode ?? res.status)}`,
        'wecom: could not get an access token',
      );
    return { value: j.access_token, expiresInMs: Number(j.expires_in ?? 7200) * 1000 };
  }, deps.now);
  return {
    providerId,
    channel: 'wecom',
    send: async (m, signal) => {
      const body = wecomTemplateBody(m);
      if (typeof body !== 'string') return body;
      for (let attempt = 0; attempt < 2; attempt++) {
        const token = await tokens.get();
        if ('kind' in token) return token;
        const res = await httpCall(
          deps.fetch,
          `${base}/cgi-bin/message/template/send?access_token=${encodeURIComponent(token.value)}`,
          { method: 'POST', headers: { 'content-type': 'application/json' }, body },
          signal,
        );
        if (isFailed(res)) return res;
        const outcome = classifyWecom(res.status, res.text);
        if (outcome !== 'token_invalid') return outcome;
        tokens.invalidate(token.value);
      }
      return failed('same_provider', 'token_invalid', 'wecom: the access token was refused twice');
    },
  };
};
