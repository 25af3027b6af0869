import { randomUUID } from 'node:crypto';
import type { ChannelAdapter } from '../../core/delivery/message.ts';
import type { SqlClient } from '../../storage/control/sql-client.ts';
import { webhookAdapter } from '../adapters/webhook.ts';
import { inboxAdapter } from '../inbox/inbox-adapter.ts';
import { callListAdapter } from './adapters/call-list.ts';
import { fcmAdapter } from './adapters/fcm.ts';
import type { Fetch } from './adapters/http-outcome.ts';
import { aliyunSmsAdapter } from './adapters/sms-aliyun.ts';
import { smsHttpAdapter } from './adapters/sms-http.ts';
import { tencentSmsAdapter } from './adapters/sms-tencent.ts';
import { smtpAdapter } from './adapters/smtp.ts';
import { wechatOaAdapter } from './adapters/wechat-oa.ts';
import { wecomAppAdapter } from './adapters/wecom-app.ts';
import type { ConfigOf, ProviderKind, SecretsOf } from './provider-kinds.ts';
import type { TargetGuard } from './private-targets.ts';

export interface AdapterDeps {
  db: SqlClient;
  /** Already refusing private targets where they are not allowed (`guardedFetch`). */
  fetch: Fetch;
  now: () => number;
  /** The same check for the webhook adapter, which does not use `fetch`. */
  guard?: TargetGuard;
}

/** The adapter of one configured provider (config validated at write time, secrets opened). */
export const buildAdapter = (
  id: string,
  kind: ProviderKind,
  config: Record<string, unknown>,
  secrets: Record<string, unknown>,
  deps: AdapterDeps,
): ChannelAdapter => {
  // Validated against PROVIDER_KINDS[kind] when stored; the casts name that fact.
  const c = <K extends ProviderKind>() => config as ConfigOf<K>;
  const s = <K extends ProviderKind>() => secrets as SecretsOf<K>;
  switch (kind) {
    case 'smtp':
      return smtpAdapter(id, c<'smtp'>(), s<'smtp'>());
    case 'sms_http':
      return smsHttpAdapter(id, c<'sms_http'>(), s<'sms_http'>(), deps);
    case 'sms_aliyun':
      return aliyunSmsAdapter(id, c<'sms_aliyun'>(), s<'sms_aliyun'>(), { ...deps, nonce: randomUUID });
    case 'sms_tencent':
      return tencentSmsAdapter(id, c<'sms_tencent'>(), s<'sms_tencent'>(), deps);
    case 'fcm':
      return fcmAdapter(id, c<'fcm'>(), s<'fcm'>(), deps);
    case 'wechat_oa':
      return wechatOaAdapter(id, c<'wechat_oa'>(), s<'wechat_oa'>(), deps);
    case 'wecom':
      return wecomAppAdapter(id, c<'wecom'>(), s<'wecom'>(), deps);
    case 'call_list':
      return callListAdapter(id, c<'call_list'>(), s<'call_list'>(), deps);
    case 'webhook':
      return webhookAdapter({
        providerId: id,
        channel: 'webhook',
        url: c<'webhook'>().url,
        secret: s<'webhook'>().secret,
        guard: deps.guard,
      });
    case 'inbox':
      return inboxAdapter(id, deps);
  }
};
