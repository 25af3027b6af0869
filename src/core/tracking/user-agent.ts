/**
 * The browser family of a click, coarse on purpose: enough to see where recalled users open
 * links (WeChat's in-app browser vs a phone's own), never a fingerprint. In-app browsers are
 * tested first because their user agents also say "Safari" or "Chrome".
 */
const FAMILIES: readonly (readonly [string, RegExp])[] = [
  ['bot', /bot|spider|crawl|preview|slurp|facebookexternalhit|headless/i],
  ['wechat', /MicroMessenger/i],
  ['wecom', /wxwork/i],
  ['alipay', /AlipayClient/i],
  ['dingtalk', /DingTalk/i],
  ['qq', /\bQQ\//i],
  ['weibo', /Weibo/i],
  ['edge', /Edg(e|A|iOS)?\//],
  ['firefox', /Firefox\/|FxiOS\//],
  ['chrome', /Chrome\/|CriOS\//],
  ['safari', /Safari\//],
  ['curl', /^curl\//i],
];

export const userAgentFamily = (ua: string | undefined): string => {
  if (!ua) return 'unknown';
  for (const [family, pattern] of FAMILIES) if (pattern.test(ua)) return family;
  return 'other';
};
