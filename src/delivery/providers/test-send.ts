import { randomBytes } from 'node:crypto';
import type { Actor } from '../../core/auth/roles.ts';
import type { Channel } from '../../core/channels/channels.ts';
import type { ChannelContent } from '../../core/content/schema.ts';
import type { OutgoingMessage, Recipient, SendOutcome } from '../../core/delivery/message.ts';
import { maskEmail, maskPhone } from '../../core/audience/mask.ts';
import { err, ok } from '../../core/result.ts';
import {
  invalid,
  notFound,
  throttled,
  type Outcome,
  type ServiceFailure,
} from '../../core/service-failure.ts';
import { words as w, type Words } from '../../core/words.ts';
import { appendAudit } from '../../storage/control/audit-log.ts';
import { getProvider } from '../../storage/control/providers.ts';
import { openSecrets } from '../../lib/secret-box.ts';
import { buildAdapter } from './adapter-factory.ts';
import type { Fetch } from './adapters/http-outcome.ts';
import { guardedFetch, targetGuard } from './private-targets.ts';
import { isProviderKind, type ProviderKind } from './provider-kinds.ts';
import type { ProviderContext } from './provider-service.ts';

/**
 * Test-send (issue 18): one real message through one configured provider's adapter, enabled or
 * not, to a recipient the admin types, answered with what the vendor said in words. Audited
 * (`provider.test_send`, the recipient masked) and rate-limited per provider, so the button
 * cannot be used to spam a number. Our own inbox and call list reach no vendor: not tested here.
 */

export interface TestSendInput {
  /** Phone, e-mail, push token, openid / WeCom userid or user id, as the provider's kind needs. */
  to: string;
  /** The message text; a default test sentence when absent. */
  text?: string | undefined;
  /** SMS: the registered signature, e.g. `【Rekindle】`; default from the provider's `signName`. */
  signature?: string | undefined;
  /** E-mail: the subject; push / in-app: the title. */
  subject?: string | undefined;
  /** WeChat Official Account: the approved template to send (required there). */
  templateId?: string | undefined;
}

export interface TestSendResult {
  providerId: string;
  accepted: boolean;
  /** The recipient, masked as the audit log keeps it. */
  to: string;
  providerMessageId: string | null;
  /** The failure code (`http_401`, `vendor_isv.MOBILE_NUMBER_ILLEGAL`, …), null when accepted. */
  code: string | null;
  /** What the provider said, as the adapter put it (masked, bounded), null when accepted. */
  vendorReason: string | null;
  /** The outcome in words, both console languages. */
  words: Words;
  tookMs: number;
}

/** What each kind needs as `to`, in words, for the refusal of a missing or malformed one. */
export const TEST_RECIPIENT: Record<ProviderKind, { field: keyof Recipient; what: string } | null> = {
  smtp: { field: 'email', what: 'an e-mail address' },
  sms_http: { field: 'phone', what: 'a phone number' },
  sms_aliyun: { field: 'phone', what: 'a phone number' },
  sms_tencent: { field: 'phone', what: 'a phone number' },
  fcm: { field: 'pushToken', what: 'a device push token' },
  wechat_oa: { field: 'wecomOpenId', what: "the follower's openid" },
  wecom: { field: 'wecomUserId', what: "the member's userid" },
  webhook: { field: 'userId', what: 'a user id' },
  call_list: null,
  inbox: null,
};

const DEFAULT_TEXT = '这是一条来自 Rekindle 的测试消息，收到即表示通道配置正常。';
const DEFAULT_TITLE = 'Rekindle 测试消息';

const escapeHtml = (s: string) =>
  s.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c,
  );

/** The test message's content for the provider's channel, or the field that is missing. */
export const testContent = (
  kind: ProviderKind,
  channel: Channel,
  config: Record<string, unknown>,
  input: TestSendInput,
): ChannelContent | ServiceFailure => {
  const text = input.text ?? DEFAULT_TEXT;
  const title = input.subject ?? DEFAULT_TITLE;
  switch (channel) {
    case 'sms': {
      const sign = typeof config['signName'] === 'string' ? `【${config['signName']}】` : '【Rekindle】';
      return { channel, text, signature: input.signature ?? sign };
    }
    case 'email':
      return { channel, subject: title, html: `<p>${escapeHtml(text)}</p>`, text };
    case 'push':
      return { channel, title, body: text };
    case 'in_app':
      return { channel, title, body: text };
    case 'wecom':
      if (kind === 'wechat_oa' && input.templateId === undefined)
        return invalid('templateId', 'a WeChat Official Account sends approved templates only: name one');
      return {
        channel,
        templateId: input.templateId ?? 'rekindle_test',
        fields: { first: text },
        title,
        description: text,
      };
    case 'call':
      return { channel, script: text };
    case 'webhook':
      return { channel, body: JSON.stringify({ test: true, text }) };
  }
};

const maskedTo = (field: keyof Recipient, to: string): string =>
  field === 'phone'
    ? (maskPhone(to) ?? '****')
    : field === 'email'
      ? (maskEmail(to) ?? '****')
      : to.length <= 8
        ? `${to.slice(0, 2)}****`
        : `${to.slice(0, 4)}****${to.slice(-2)}`;

const CJK = /[\u3400-\u9fff]/;

/** A failure in words: the generic transport and HTTP codes, else the vendor's own text. */
export const testSendWords = (o: SendOutcome): Words => {
  if (o.kind === 'accepted')
    return w(
      '服务商已受理这条测试消息，请查看是否收到',
      'the provider accepted the test message; check that it arrived',
    );
  const { code, reason } = o;
  const http = /^http_(\d{3})$/.exec(code);
  if (http) {
    const status = Number(http[1]);
    if (status === 401 || status === 403)
      return w(
        `服务商拒绝了凭据，请检查密钥（HTTP ${status}）`,
        `the provider refused the credentials (HTTP ${status})`,
      );
    if (status === 429)
      return w('服务商限流，请稍后再试（HTTP 429）', 'rate limited by the provider (HTTP 429)');
    if (status >= 500)
      return w(
        `服务商内部错误，请稍后再试（HTTP ${status}）`,
        `provider error, try again later (HTTP ${status})`,
      );
    return w(`服务商拒收了这条消息（HTTP ${status}）`, `the provider rejected the message (HTTP ${status})`);
  }
  const generic: Record<string, Words> = {
    connect_failed: w(
      '无法连接服务商：地址或网络不通',
      'could not connect to the provider: address or network',
    ),
    timeout: w('服务商超时未响应', 'the provider did not answer in time'),
    network: w(
      '连接在发送后中断，服务商可能已收到',
      'the connection broke after sending; the provider may have it',
    ),
    private_target: w('服务商地址是内网地址，已拒绝', 'the provider address is a private address; refused'),
    no_address: w('没有填写收件人', 'no recipient given'),
    invalid_number: w('手机号码无效', 'the phone number is not valid'),
  };
  const known = generic[code];
  if (known) return known;
  // Vendors such as Aliyun answer in Chinese (`aliyun: 非法手机号`): shown as they said it.
  const vendorSaid = reason.replace(/^[a-z]+:\s*/, '');
  const vendorCode = code.replace(/^vendor_/, '');
  return CJK.test(vendorSaid)
    ? w(
        `服务商拒收：${vendorSaid}（代码 ${vendorCode}）`,
        `the provider refused it: ${reason} (${vendorCode})`,
      )
    : w(`服务商拒收（代码 ${vendorCode}）`, `the provider refused it: ${reason} (${vendorCode})`);
};

/** At most `limit` test sends per provider in any `windowMs`: the answer says when to try again. */
export class TestSendLimiter {
  private readonly sent = new Map<string, number[]>();

  constructor(
    private readonly limit = 5,
    private readonly windowMs = 60_000,
  ) {}

  /** Null when one more may go now (and counts it), else the milliseconds to wait. */
  take(providerId: string, now: number): number | null {
    const recent = (this.sent.get(providerId) ?? []).filter((t) => t > now - this.windowMs);
    if (recent.length >= this.limit) {
      this.sent.set(providerId, recent);
      return Math.max(1, (recent[0] ?? now) + this.windowMs - now);
    }
    recent.push(now);
    this.sent.set(providerId, recent);
    return null;
  }
}

const TEST_TIMEOUT_MS = 15_000;

export const testSendAs = async (
  ctx: ProviderContext,
  actor: Actor,
  providerId: string,
  input: TestSendInput,
  deps: { limiter: TestSendLimiter; fetch?: Fetch },
): Outcome<TestSendResult> => {
  if (actor.role !== 'admin')
    return err({ type: 'forbidden', reason: 'only admins may view or change delivery providers' });
  const p = await getProvider(ctx.control, providerId);
  if (p === null || p.workspaceId !== actor.workspaceId) return err(notFound(`provider ${providerId}`));
  if (!isProviderKind(p.kind)) return err(invalid('kind', `unknown provider kind '${p.kind}'`));
  const kind = p.kind;
  const target = TEST_RECIPIENT[kind];
  if (target === null)
    return err(
      invalid('(provider)', `a ${kind} provider reaches no vendor: check it with a real campaign instead`),
    );
  const to = input.to.trim();
  if (to.length === 0) return err(invalid('to', `${target.what} is required`));
  if (target.field === 'email' && !/^[^@\s<>]+@[^@\s<>]+\.[^@\s<>]+$/.test(to))
    return err(invalid('to', `'${to}' is not an e-mail address`));
  const content = testContent(kind, p.channel as Channel, p.config, input);
  if ('type' in content) return err(content);
  const now = ctx.clock();
  const wait = deps.limiter.take(p.id, now);
  if (wait !== null) return err(throttled(`at most 5 test sends a minute per provider`, wait));
  const allowPrivate = ctx.allowPrivateTargets === true;
  const adapter = buildAdapter(p.id, kind, p.config, openSecrets(ctx.masterKeys, p.secretsEnc), {
    db: ctx.control,
    fetch: guardedFetch(deps.fetch ?? fetch, allowPrivate),
    now: ctx.clock,
    guard: targetGuard(allowPrivate),
  });
  const message: OutgoingMessage = {
    idempotencyKey: `test_${randomBytes(9).toString('base64url')}`,
    workspaceId: actor.workspaceId,
    campaignId: 'provider_test',
    runId: 'provider_test',
    step: 'test',
    variant: null,
    channel: p.channel as Channel,
    class: 'transactional',
    recipient: { userId: target.field === 'userId' ? to : 'provider_test', [target.field]: to },
    content,
  };
  const started = Date.now();
  let outcome: SendOutcome;
  try {
    outcome = await adapter.send(message, AbortSignal.timeout(TEST_TIMEOUT_MS));
  } catch (e) {
    outcome = {
      kind: 'failed',
      retry: 'never',
      code: 'adapter_error',
      reason: String((e as Error).message).slice(0, 300),
    };
  } finally {
    await adapter.close?.().catch(() => undefined);
  }
  const result: TestSendResult = {
    providerId: p.id,
    accepted: outcome.kind === 'accepted',
    to: maskedTo(target.field, to),
    providerMessageId: outcome.kind === 'accepted' ? outcome.providerMessageId : null,
    code: outcome.kind === 'failed' ? outcome.code : null,
    vendorReason:
      outcome.kind === 'failed'
        ? outcome.reason.replace(/[^\s<>@:;,"']+@[^\s<>@:;,"']+/g, (m) => maskEmail(m) ?? '****')
        : null,
    words: testSendWords(outcome),
    tookMs: Date.now() - started,
  };
  await appendAudit(ctx.control, {
    workspaceId: actor.workspaceId,
    at: now,
    actorId: actor.userId,
    action: 'provider.test_send',
    objectType: 'provider',
    objectId: p.id,
    details: {
      name: p.name,
      kind,
      to: result.to,
      accepted: result.accepted,
      ...(result.code === null ? {} : { code: result.code }),
    },
  });
  return ok(result);
};
