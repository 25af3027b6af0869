import { Type, type Static, type TObject } from '@sinclair/typebox';
import type { Channel } from '../../core/channels/channels.ts';

/**
 * The vendors Rekindle can send through, each with its non-secret settings and its secrets as
 * TypeBox schemas (the API validates against them and documents them). Every kind may also have
 * a `receiptSecret`: the shared secret that delivery receipts for it must be signed with.
 */

const EMAIL = '^[^@\\s<>]+@[^@\\s<>]+$';
const url = (description: string) =>
  Type.String({ minLength: 8, maxLength: 2000, pattern: '^https?://', description });
const receiptSecret = Type.Optional(
  Type.String({ minLength: 16, maxLength: 200, description: 'shared secret that signs delivery receipts' }),
);

/** Where an SMS template parameter's value comes from. */
export const ParamSource = Type.Union(
  [
    Type.Literal('text', { description: 'the rendered text' }),
    Type.Literal('user_id'),
    Type.Object({ literal: Type.String({ maxLength: 200 }) }, { additionalProperties: false }),
  ],
  { description: "'text' (the rendered message text), 'user_id', or {literal: '…'}" },
);
export type ParamSource = Static<typeof ParamSource>;

const signName = Type.Optional(
  Type.String({
    minLength: 1,
    maxLength: 30,
    description: "registered signature; default: the content's signature without 【】",
  }),
);

export const PROVIDER_KINDS = {
  smtp: {
    channel: 'email',
    config: Type.Object(
      {
        host: Type.String({ minLength: 1, maxLength: 255 }),
        port: Type.Integer({ minimum: 1, maximum: 65535 }),
        secure: Type.Boolean({
          description: 'TLS from the first byte (port 465); otherwise STARTTLS when offered',
        }),
        from: Type.String({ pattern: EMAIL, maxLength: 320, description: 'sender address' }),
        replyTo: Type.Optional(Type.String({ pattern: EMAIL, maxLength: 320 })),
        maxConnections: Type.Optional(Type.Integer({ minimum: 1, maximum: 50 })),
      },
      { additionalProperties: false },
    ),
    secrets: Type.Object(
      {
        username: Type.Optional(Type.String({ minLength: 1, maxLength: 255 })),
        password: Type.Optional(Type.String({ minLength: 1, maxLength: 1000 })),
        dkim: Type.Optional(
          Type.Object(
            {
              domainName: Type.String({ minLength: 1, maxLength: 253, description: 'the d= domain' }),
              keySelector: Type.String({
                minLength: 1,
                maxLength: 63,
                pattern: '^[A-Za-z0-9_-]+(\\.[A-Za-z0-9_-]+)*$',
                description: 'the s= selector: the key is published at <selector>._domainkey.<domain>',
              }),
              privateKey: Type.String({
                minLength: 100,
                maxLength: 10_000,
                pattern: 'BEGIN (RSA )?PRIVATE KEY',
                description: 'PEM private key that signs every message (RSA-SHA256)',
              }),
            },
            { additionalProperties: false, description: 'DKIM signing (RFC 6376)' },
          ),
        ),
        receiptSecret,
      },
      { additionalProperties: false },
    ),
  },
  sms_http: {
    channel: 'sms',
    config: Type.Object(
      {
        url: url('the gateway endpoint; receives POST {to, text, idempotencyKey}'),
        authHeader: Type.Optional(
          Type.String({ pattern: '^[A-Za-z0-9-]{1,64}$', description: 'default: authorization' }),
        ),
        deduplicatesByKey: Type.Optional(
          Type.Boolean({
            description:
              'the endpoint drops a second request with an idempotency key it has seen; only then is a message whose send a crash interrupted sent again (otherwise it is reported as unknown)',
          }),
        ),
      },
      { additionalProperties: false },
    ),
    secrets: Type.Object(
      { authValue: Type.String({ minLength: 1, maxLength: 2000 }), receiptSecret },
      { additionalProperties: false },
    ),
  },
  sms_aliyun: {
    channel: 'sms',
    config: Type.Object(
      {
        endpoint: Type.Optional(url('default https://dysmsapi.aliyuncs.com/')),
        regionId: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
        signName,
        templateCode: Type.String({ minLength: 1, maxLength: 64 }),
        templateParams: Type.Record(Type.String({ pattern: '^[A-Za-z0-9_]{1,64}$' }), ParamSource, {
          description: 'template variable → where its value comes from',
        }),
      },
      { additionalProperties: false },
    ),
    secrets: Type.Object(
      {
        accessKeyId: Type.String({ minLength: 1, maxLength: 128 }),
        accessKeySecret: Type.String({ minLength: 1, maxLength: 256 }),
        receiptSecret,
      },
      { additionalProperties: false },
    ),
  },
  sms_tencent: {
    channel: 'sms',
    config: Type.Object(
      {
        endpoint: Type.Optional(url('default https://sms.tencentcloudapi.com/')),
        region: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
        smsSdkAppId: Type.String({ minLength: 1, maxLength: 64 }),
        signName,
        templateId: Type.String({ minLength: 1, maxLength: 64 }),
        templateParams: Type.Array(ParamSource, { maxItems: 20, description: 'TemplateParamSet, in order' }),
      },
      { additionalProperties: false },
    ),
    secrets: Type.Object(
      {
        secretId: Type.String({ minLength: 1, maxLength: 128 }),
        secretKey: Type.String({ minLength: 1, maxLength: 256 }),
        receiptSecret,
      },
      { additionalProperties: false },
    ),
  },
  fcm: {
    channel: 'push',
    config: Type.Object(
      {
        projectId: Type.String({ minLength: 1, maxLength: 128, pattern: '^[a-z0-9-]+$' }),
        tokenUrl: Type.Optional(url('default https://oauth2.googleapis.com/token')),
        apiBaseUrl: Type.Optional(url('default https://fcm.googleapis.com')),
      },
      { additionalProperties: false },
    ),
    secrets: Type.Object(
      {
        clientEmail: Type.String({
          minLength: 3,
          maxLength: 320,
          description: 'service account client_email',
        }),
        privateKey: Type.String({
          minLength: 100,
          maxLength: 10_000,
          pattern: 'BEGIN (RSA )?PRIVATE KEY',
          description: 'service account private_key (PEM)',
        }),
        receiptSecret,
      },
      { additionalProperties: false },
    ),
  },
  wechat_oa: {
    channel: 'wecom',
    config: Type.Object(
      {
        appId: Type.String({ minLength: 1, maxLength: 64, description: 'the official account AppID' }),
        apiBaseUrl: Type.Optional(url('default https://api.weixin.qq.com')),
      },
      {
        additionalProperties: false,
        description:
          '微信公众号模板消息: WeChat Official Account template messages to the follower openid (trait wecom_openid)',
      },
    ),
    secrets: Type.Object(
      {
        appSecret: Type.String({
          minLength: 1,
          maxLength: 256,
          description: 'the official account AppSecret',
        }),
        receiptSecret,
      },
      { additionalProperties: false },
    ),
  },
  wecom: {
    channel: 'wecom',
    config: Type.Object(
      {
        corpId: Type.String({ minLength: 1, maxLength: 64, description: '企业ID (corpid)' }),
        agentId: Type.Integer({ minimum: 1, maximum: 2_147_483_647, description: 'the application AgentId' }),
        apiBaseUrl: Type.Optional(url('default https://qyapi.weixin.qq.com')),
      },
      {
        additionalProperties: false,
        description: '企业微信应用消息: WeCom application messages to the member userid (trait wecom_userid)',
      },
    ),
    secrets: Type.Object(
      {
        corpSecret: Type.String({ minLength: 1, maxLength: 256, description: "the application's Secret" }),
        receiptSecret,
      },
      { additionalProperties: false },
    ),
  },
  call_list: {
    channel: 'call',
    config: Type.Object(
      { webhookUrl: Type.Optional(url('smart-call vendor endpoint; each task is POSTed, signed')) },
      { additionalProperties: false },
    ),
    secrets: Type.Object(
      {
        webhookSecret: Type.Optional(Type.String({ minLength: 16, maxLength: 200 })),
        receiptSecret,
      },
      { additionalProperties: false },
    ),
  },
  webhook: {
    channel: 'webhook',
    config: Type.Object(
      {
        url: url('the endpoint every message of this provider is POSTed to (messages cannot name one)'),
        deduplicatesByKey: Type.Optional(
          Type.Boolean({
            description:
              'the endpoint drops a second request with an idempotency key it has seen; only then is a message whose send a crash interrupted sent again (otherwise it is reported as unknown)',
          }),
        ),
      },
      { additionalProperties: false },
    ),
    secrets: Type.Object(
      {
        secret: Type.String({
          minLength: 16,
          maxLength: 200,
          description: 'signs each body (X-Rekindle-Signature)',
        }),
        receiptSecret,
      },
      { additionalProperties: false },
    ),
  },
  inbox: {
    channel: 'in_app',
    config: Type.Object({}, { additionalProperties: false }),
    secrets: Type.Object({}, { additionalProperties: false }),
  },
} as const satisfies Record<string, { channel: Channel; config: TObject; secrets: TObject }>;

export type ProviderKind = keyof typeof PROVIDER_KINDS;

/**
 * Whether a configured provider drops a repeated idempotency key: our own inbox and call list
 * (unique keys in the database) always do; an HTTP gateway or webhook does when its admin says
 * so; SMTP, FCM, WeCom and the SMS vendors' APIs do not.
 */
export const dedupesByKey = (kind: ProviderKind, config: Record<string, unknown>): boolean =>
  kind === 'inbox' || kind === 'call_list' || config['deduplicatesByKey'] === true;
export const PROVIDER_KIND_NAMES = Object.keys(PROVIDER_KINDS) as ProviderKind[];
export const isProviderKind = (s: string): s is ProviderKind => s in PROVIDER_KINDS;

export type ConfigOf<K extends ProviderKind> = Static<(typeof PROVIDER_KINDS)[K]['config']>;
export type SecretsOf<K extends ProviderKind> = Static<(typeof PROVIDER_KINDS)[K]['secrets']>;
