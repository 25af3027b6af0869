// The console's Locale (lib/i18n.tsx), spelled out so that server-side tests can import this file.
type Locale = 'zh-CN' | 'en';

/**
 * What operators read for a provider kind (the API's `kind`, src/delivery/providers/
 * provider-kinds.ts). `wechat_oa` and `wecom` both send on the WeCom channel but are different
 * products: 微信公众号 template messages to followers, 企业微信 application messages to members.
 */
const LABELS: Record<string, { 'zh-CN': string; en: string }> = {
  smtp: { 'zh-CN': 'SMTP 邮件', en: 'SMTP e-mail' },
  sms_http: { 'zh-CN': '短信（HTTP 网关）', en: 'SMS (HTTP gateway)' },
  sms_aliyun: { 'zh-CN': '阿里云短信', en: 'Aliyun SMS' },
  sms_tencent: { 'zh-CN': '腾讯云短信', en: 'Tencent Cloud SMS' },
  fcm: { 'zh-CN': 'Firebase 推送（FCM）', en: 'Firebase Cloud Messaging' },
  wechat_oa: { 'zh-CN': '微信公众号模板消息', en: 'WeChat Official Account template messages' },
  wecom: { 'zh-CN': '企业微信应用消息', en: 'WeCom application messages' },
  call_list: { 'zh-CN': '外呼任务列表', en: 'Outbound call list' },
  webhook: { 'zh-CN': 'Webhook', en: 'Webhook' },
  inbox: { 'zh-CN': '站内信', en: 'In-app inbox' },
};

/** The label of a kind; an unknown kind (a newer server) shows as sent. */
export const providerKindLabel = (kind: string, locale: Locale): string => LABELS[kind]?.[locale] ?? kind;

const CHANNEL_LABELS: Record<string, { 'zh-CN': string; en: string }> = {
  push: { 'zh-CN': 'App 推送', en: 'Push' },
  in_app: { 'zh-CN': '站内信', en: 'In-app' },
  email: { 'zh-CN': '邮件', en: 'E-mail' },
  sms: { 'zh-CN': '短信', en: 'SMS' },
  wecom: { 'zh-CN': '微信 / 企业微信', en: 'WeChat / WeCom' },
  call: { 'zh-CN': '电话外呼', en: 'Call' },
  webhook: { 'zh-CN': 'Webhook', en: 'Webhook' },
};

/** The label of a channel (the API's `channel`). */
export const channelLabel = (channel: string, locale: Locale): string =>
  CHANNEL_LABELS[channel]?.[locale] ?? channel;
