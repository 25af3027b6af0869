import type { SendOutcome } from '../../../core/delivery/message.ts';
import { failed, parseJson, vendorText, type Failed } from './http-outcome.ts';

/**
 * What a WeChat Official Account (微信公众号) answer means for a template message: the platform's
 * global return codes (全局返回码) and those of `/cgi-bin/message/template/send`.
 * `token_invalid`: the access token was refused; refresh it (compare-and-swap) and send once more.
 */

/** access_token invalid / not the latest (40001), invalid (40014), expired (42001). */
export const WECHAT_TOKEN_ERRORS: ReadonlySet<number> = new Set([40001, 40014, 42001]);

export const WECHAT_OA_FAILURES: Readonly<Record<number, Failed['retry']>> = {
  /** 系统繁忙: the same provider, later. */
  [-1]: 'same_provider',
  /** API 调用太频繁 (per-minute quota): the same provider, later. */
  45011: 'same_provider',
  /** 不合法的 OpenID (not this account's follower, or another account's openid). */
  40003: 'never',
  /** 需要接收者关注: the user does not follow the account. */
  43004: 'never',
  /** 用户拒绝接受消息: the user turned this account's messages off. */
  43101: 'never',
  /** 不合法的 template_id 长度 / 不合法的 template_id: the content names no template of the account. */
  40036: 'never',
  40037: 'never',
  /** 参数错误 / 消息内容超过限制 / 数据格式错误: the message itself is refused. */
  47003: 'never',
  45002: 'never',
  47001: 'never',
  /** 用户受限 (account frozen or closed). */
  50002: 'never',
  /** 接口调用超过限制: the daily quota is spent; another provider may still send today. */
  45009: 'next_provider',
  /** api 功能未授权 / 接口被封禁: this account cannot send templates. */
  48001: 'next_provider',
  48004: 'next_provider',
  /** 不合法的 AppID / 缺少 access_token / 缺少 appid: configuration. */
  40013: 'next_provider',
  41001: 'next_provider',
  41002: 'next_provider',
  /** 调用接口的 IP 地址不在白名单中. */
  40164: 'next_provider',
  61004: 'next_provider',
};

export const classifyWechatOa = (status: number, body: string): SendOutcome | 'token_invalid' => {
  const j = parseJson(body) as { errcode?: unknown; errmsg?: unknown; msgid?: unknown } | undefined;
  if (j === undefined || (j.errcode !== undefined && typeof j.errcode !== 'number'))
    return status >= 500
      ? failed('same_provider', `http_${status}`, 'wechat: provider error')
      : failed('same_provider', 'vendor_unreadable', 'wechat: unreadable answer');
  const code = typeof j.errcode === 'number' ? j.errcode : 0;
  if (code === 0 && j.msgid !== undefined) return { kind: 'accepted', providerMessageId: String(j.msgid) };
  if (code === 0) return failed('same_provider', 'vendor_unreadable', 'wechat: no msgid in the answer');
  if (WECHAT_TOKEN_ERRORS.has(code)) return 'token_invalid';
  const reason = `wechat: ${vendorText(j.errmsg ?? code)}`;
  // Any other code: not accepted by this account; another provider may do better.
  return failed(WECHAT_OA_FAILURES[code] ?? 'next_provider', `vendor_${code}`, reason);
};
