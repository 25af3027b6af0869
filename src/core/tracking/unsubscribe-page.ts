/**
 * The pages of the one-click unsubscribe link (features.md F3): a confirmation with one button (a mail
 * client's link scanner only GETs, so GET never unsubscribes), the result, and the error. Chinese
 * unless the browser prefers English.
 */

export type PageLanguage = 'zh-CN' | 'en';

/** English when the highest-weighted language the browser names is English; Chinese otherwise. */
export const pageLanguage = (acceptLanguage: string | undefined): PageLanguage => {
  if (!acceptLanguage) return 'zh-CN';
  let best: { lang: string; q: number } | null = null;
  for (const part of acceptLanguage.split(',')) {
    const [tag = '', ...params] = part.trim().split(';');
    const qParam = params.map((p) => p.trim()).find((p) => p.startsWith('q='));
    const q = qParam === undefined ? 1 : Number(qParam.slice(2));
    if (!tag || !Number.isFinite(q) || q <= 0) continue;
    if (best === null || q > best.q) best = { lang: tag.toLowerCase(), q };
  }
  return best !== null && (best.lang === 'en' || best.lang.startsWith('en-')) ? 'en' : 'zh-CN';
};

const TEXT = {
  'zh-CN': {
    title: '退订',
    confirm: (channel: string) => `确定不再通过${channelName('zh-CN', channel)}接收我们的营销消息吗？`,
    button: '确认退订',
    done: (channel: string) => `已退订。您将不再通过${channelName('zh-CN', channel)}收到我们的营销消息。`,
    invalid: '这个退订链接无效（可能被修改或不完整）。请使用消息中的原始链接。',
    errorTitle: '链接无效',
  },
  en: {
    title: 'Unsubscribe',
    confirm: (channel: string) => `Stop receiving our marketing messages by ${channelName('en', channel)}?`,
    button: 'Unsubscribe',
    done: (channel: string) =>
      `You are unsubscribed. You will no longer receive our marketing messages by ${channelName('en', channel)}.`,
    invalid:
      'This unsubscribe link is not valid (it may have been changed or cut short). Please use the link from the message itself.',
    errorTitle: 'Invalid link',
  },
} as const;

const CHANNEL_NAMES: Record<PageLanguage, Record<string, string>> = {
  'zh-CN': {
    sms: '短信',
    email: '邮件',
    push: '推送',
    in_app: '站内信',
    wecom: '企业微信',
    webhook: '消息',
    call: '电话',
  },
  en: {
    sms: 'SMS',
    email: 'email',
    push: 'push notification',
    in_app: 'in-app message',
    wecom: 'WeCom',
    webhook: 'message',
    call: 'phone',
  },
};

const channelName = (lang: PageLanguage, channel: string): string =>
  CHANNEL_NAMES[lang][channel] ?? (lang === 'en' ? 'this channel' : '该渠道');

const page = (lang: PageLanguage, title: string, body: string): string => `<!doctype html>
<html lang="${lang}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex"><title>${title}</title></head>
<body style="font-family: system-ui, sans-serif; max-width: 32rem; margin: 3rem auto; padding: 0 1rem">
${body}
</body></html>
`;

/** The form posts `List-Unsubscribe=One-Click` to the same address, as an RFC 8058 mail client does. */
export const confirmPage = (lang: PageLanguage, channel: string): string =>
  page(
    lang,
    TEXT[lang].title,
    `<h1>${TEXT[lang].title}</h1><p>${TEXT[lang].confirm(channel)}</p>
<form method="post"><input type="hidden" name="List-Unsubscribe" value="One-Click">
<button type="submit" style="font-size: 1.1rem; padding: .5rem 1.5rem">${TEXT[lang].button}</button></form>`,
  );

export const donePage = (lang: PageLanguage, channel: string): string =>
  page(lang, TEXT[lang].title, `<h1>${TEXT[lang].title}</h1><p>${TEXT[lang].done(channel)}</p>`);

export const invalidPage = (lang: PageLanguage): string =>
  page(lang, TEXT[lang].errorTitle, `<h1>${TEXT[lang].errorTitle}</h1><p>${TEXT[lang].invalid}</p>`);

/** Whether a POST body is the RFC 8058 one-click request (form-encoded or multipart). */
export const isOneClickBody = (body: string): boolean =>
  /(^|&)List-Unsubscribe=One-Click(&|$)/.test(body.trim()) ||
  /name="List-Unsubscribe"\r?\n\r?\nOne-Click\r?\n/.test(body);

/**
 * The workspace a token claims, read before verifying so the right workspace's secret can check
 * it; the claim means nothing until `verifyUnsubscribe` accepts the signature.
 */
export const claimedWorkspace = (token: string): string | null => {
  const body = token.split('.')[0] ?? '';
  if (!/^[A-Za-z0-9_-]{1,2048}$/.test(body)) return null;
  try {
    const p = JSON.parse(Buffer.from(body, 'base64url').toString('utf8')) as unknown;
    if (typeof p !== 'object' || p === null) return null;
    const w = (p as Record<string, unknown>)['w'];
    return typeof w === 'string' && w.length > 0 && w.length <= 200 ? w : null;
  } catch {
    return null;
  }
};
