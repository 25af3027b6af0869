import { Type, type Static, type TObject } from '@sinclair/typebox';
import type { Channel } from '../channels/channels.ts';

/**
 * The content of a message, one object per channel, discriminated by `channel`. These TypeBox
 * schemas are the request validation, the TypeScript types and the OpenAPI documentation. Fields
 * marked "Liquid template" are rendered per user (see `render.ts` for what templates see); the
 * rendered content has the same shape, with every template replaced by its output.
 */

export const MAX_TEMPLATE_LENGTH = 10_000;
export const MAX_HTML_LENGTH = 500_000;
export const WECOM_FIELD_NAME = '^[A-Za-z][A-Za-z0-9_.]{0,63}$';
export const MAX_WECOM_VALUE_LENGTH = 1000;

const template = (description: string, maxLength = MAX_TEMPLATE_LENGTH, minLength = 1) =>
  Type.String({ minLength, maxLength, description: `${description} (Liquid template)` });

const landingUrl = Type.Optional(
  template('where a tap leads: an https URL or an app deep link such as `myapp://coupon/1`', 2000),
);

export const PushContent = Type.Object(
  {
    channel: Type.Literal('push'),
    title: template('notification title', 1000),
    body: template('notification text', 4000),
    landingUrl,
  },
  { additionalProperties: false, description: 'app push notification' },
);

export const InAppContent = Type.Object(
  {
    channel: Type.Literal('in_app'),
    title: template('message title', 1000),
    body: template('message text', 4000),
    imageUrl: Type.Optional(template('banner image, https', 2000)),
    landingUrl,
  },
  { additionalProperties: false, description: 'in-app message shown at the next app open' },
);

export const EmailContent = Type.Object(
  {
    channel: Type.Literal('email'),
    subject: template('subject line', 1000),
    html: template(
      'HTML body; output is HTML-escaped unless `| raw`; must carry `{{ unsubscribe_url }}` for marketing',
      MAX_HTML_LENGTH,
    ),
    text: Type.Optional(template('plain-text part; generated from the HTML when absent', 100_000)),
    fromName: Type.Optional(Type.String({ minLength: 1, maxLength: 100, description: 'sender name' })),
  },
  { additionalProperties: false, description: 'e-mail (EDM)' },
);

export const SmsContent = Type.Object(
  {
    channel: Type.Literal('sms'),
    text: template('message text, without the signature', 2000),
    signature: Type.String({
      minLength: 1,
      maxLength: 30,
      description: 'the registered signature in brackets, e.g. `【Rekindle】`; it counts toward the length',
    }),
  },
  { additionalProperties: false, description: 'SMS; the signature is sent in front of the text' },
);

export const WecomContent = Type.Object(
  {
    channel: Type.Literal('wecom'),
    templateId: Type.String({
      minLength: 1,
      maxLength: 128,
      description:
        'the approved template of the WeChat Official Account (WeCom application messages have none)',
    }),
    fields: Type.Record(
      Type.String({ pattern: WECOM_FIELD_NAME }),
      Type.String({ maxLength: MAX_WECOM_VALUE_LENGTH, description: 'Liquid template' }),
      { description: 'template field → value (Liquid template), e.g. {"thing1": "{{ offer.condition }}"}' },
    ),
    landingUrl: Type.Optional(template('where a tap leads, https', 2000)),
    title: Type.Optional(template('WeCom application message title (default: the first field value)', 1000)),
    description: Type.Optional(
      template('WeCom application message text (default: the other field values, one per line)', 2000),
    ),
  },
  {
    additionalProperties: false,
    description:
      'WeChat Official Account template message (templateId + fields) or WeCom application message (title / description, else the field values; textcard when there is a landingUrl)',
  },
);

export const CallContent = Type.Object(
  {
    channel: Type.Literal('call'),
    script: template('what the agent or the smart-call robot says', 20_000),
  },
  { additionalProperties: false, description: 'outbound call task' },
);

export const WebhookContent = Type.Object(
  {
    channel: Type.Literal('webhook'),
    url: Type.Optional(
      Type.String({
        maxLength: 2000,
        description:
          'not allowed (refused by the content checks): messages go to the webhook provider an admin configured',
      }),
    ),
    body: Type.String({
      minLength: 1,
      maxLength: 100_000,
      description:
        'the JSON document posted to the endpoint, checked as JSON when saved; Liquid goes inside its string values (`{"city": "{{ user.city }}"}`), and a value that is exactly `"{{ x | json }}"` becomes the JSON value x renders to',
    }),
  },
  { additionalProperties: false, description: "HTTP POST of a JSON body to the webhook provider's endpoint" },
);

export const ChannelContent = Type.Union(
  [PushContent, InAppContent, EmailContent, SmsContent, WecomContent, CallContent, WebhookContent],
  { description: 'the content of one channel, discriminated by `channel`' },
);

export type PushContent = Static<typeof PushContent>;
export type InAppContent = Static<typeof InAppContent>;
export type EmailContent = Static<typeof EmailContent>;
export type SmsContent = Static<typeof SmsContent>;
export type WecomContent = Static<typeof WecomContent>;
export type CallContent = Static<typeof CallContent>;
export type WebhookContent = Static<typeof WebhookContent>;
export type ChannelContent = Static<typeof ChannelContent>;

/** The content type of one channel. */
export type ContentOf<C extends Channel> = Extract<ChannelContent, { channel: C }>;

export const CONTENT_SCHEMAS: { readonly [C in Channel]: TObject } = {
  push: PushContent,
  in_app: InAppContent,
  email: EmailContent,
  sms: SmsContent,
  wecom: WecomContent,
  call: CallContent,
  webhook: WebhookContent,
};
