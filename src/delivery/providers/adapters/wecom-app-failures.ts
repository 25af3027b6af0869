import type { SendOutcome } from '../../../core/delivery/message.ts';
import { failed, parseJson, vendorText, type Failed } from './http-outcome.ts';

/**
 * What a WeCom (企业微信) answer means for an application message: the global error codes
 * (全局错误码) and `/cgi-bin/message/send`. A send with errcode 0 may still name the recipient in
 * `invaliduser` / `unlicenseduser` (not in the app's visible range, no such member, no licence):
 * the message did not reach them.
 * `token_invalid`: the access token was refused; refresh it (compare-and-swap) and send once more.
 */

/** 不合法的 secret / access_token (40001, 40014), access_token 已过期 (42001). */
export const WECOM_TOKEN_ERRORS: ReadonlySet<number> = new Set([40001, 40014, 42001]);

export const WECOM_APP_FAILURES: Readonly<Record<number, Failed['retry']>> = {
  /** 系统繁忙: the same provider, later. */
  [-1]: 'same_provider',
  /** 接口并发调用超过限制: the same provider, later. */
  45033: 'same_provider',
  /** 无效的 UserID / 不合法的 UserID 列表 / UserID 不存在. */
  40003: 'never',
  40031: 'never',
  60111: 'never',
  /** UserID、部门ID、标签ID 全部非法或无权限 (outside the app's visible range). */
  81013: 'never',
  /** 指定的成员/部门/标签全部为空. */
  82001: 'never',
  /** 不合法的 msgtype / 文本消息 content 参数为空 / 消息内容大小超过限制 / 不合法的参数. */
  40008: 'never',
  44004: 'never',
  45002: 'never',
  40058: 'never',
  /** 接口调用超过限制 (daily quota, or the app's per-member limit): another provider today. */
  45009: 'next_provider',
  /** 不安全的访问IP: this server is not among the app's trusted IPs. */
  60020: 'next_provider',
  /** 无权操作指定的应用 (the secret does not belong to agentId). */
  301002: 'next_provider',
  /** 不合法的 CorpID / agentid, 缺少 access_token, API 接口无权限调用: configuration. */
  40013: 'next_provider',
  40056: 'next_provider',
  41001: 'next_provider',
  48002: 'next_provider',
};

interface WecomAnswer {
  errcode?: unknown;
  errmsg?: unknown;
  invaliduser?: unknown;
  unlicenseduser?: unknown;
  msgid?: unknown;
}

/** `invaliduser` is `"u1|u2"`; some answers list an array. */
const listed = (v: unknown, userId: string): boolean =>
  (typeof v === 'string' ? v.split('|') : Array.isArray(v) ? v.map(String) : []).includes(userId);

export const classifyWecomApp = (
  status: number,
  body: string,
  userId: string,
): SendOutcome | 'token_invalid' => {
  const j = parseJson(body) as WecomAnswer | undefined;
  if (j === undefined || typeof j.errcode !== 'number')
    return status >= 500
      ? failed('same_provider', `http_${status}`, 'wecom: provider error')
      : failed('same_provider', 'vendor_unreadable', 'wecom: unreadable answer');
  const code = j.errcode;
  if (code === 0) {
    if (listed(j.invaliduser, userId))
      return failed('never', 'no_address', 'wecom: the member is unknown or outside the app (invaliduser)');
    if (listed(j.unlicenseduser, userId))
      return failed('never', 'no_address', 'wecom: the member has no licence (unlicenseduser)');
    return typeof j.msgid === 'string' && j.msgid !== ''
      ? { kind: 'accepted', providerMessageId: j.msgid }
      : failed('same_provider', 'vendor_unreadable', 'wecom: no msgid in the answer');
  }
  if (WECOM_TOKEN_ERRORS.has(code)) return 'token_invalid';
  const reason = `wecom: ${vendorText(j.errmsg ?? code)}`;
  return failed(WECOM_APP_FAILURES[code] ?? 'next_provider', `vendor_${code}`, reason);
};
