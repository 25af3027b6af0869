/**
 * Built-in blocked words for Chinese marketing SMS: terms that the three carriers' (China
 * Mobile, China Unicom, China Telecom) content filters and the SMS vendors' template review
 * (Aliyun, Tencent Cloud) refuse or hold for manual review in 营销短信, gathered from the
 * categories those vendors publish in their template rules and from the 工信部 rules on
 * commercial SMS: gambling, illegal lending and credit-card cash-out, invoice forgery, forged
 * documents, pornography, fraud / pyramid schemes, and medical claims the Advertising Law
 * (广告法) forbids. It is a curated starting list, not the carriers' (unpublished) full one:
 * workspaces add their own words (GET/POST/DELETE /v1/content/blocked-words), and an admin can
 * override a false positive with a written reason. Matching is by substring, ignoring case, so
 * each entry is kept short and no entry contains another (one hit per occurrence).
 */
export const DEFAULT_SMS_BLOCKED_WORDS: readonly string[] = [
  // 赌博 / 博彩 — gambling
  '博彩',
  '赌博',
  '赌场',
  '百家乐',
  '六合彩',
  '时时彩',
  '老虎机',
  '彩金',
  '下注',
  '投注',
  // 非法金融 — loans, cash-out, credit repair
  '贷款',
  '网贷',
  '借贷',
  '放款',
  '高利贷',
  '无抵押',
  '套现',
  '提额',
  '代还',
  '征信修复',
  '黑户',
  // 发票 — invoices issued on demand
  '发票',
  '代开',
  // 假证 — forged documents, exam fraud, surveillance
  '办证',
  '刻章',
  '代考',
  '替考',
  '私家侦探',
  '窃听',
  // 色情 — pornography
  '色情',
  '援交',
  '裸聊',
  '约炮',
  '一夜情',
  // 诈骗 / 传销 — fraud, fake prizes, order brushing, pyramid schemes
  '中奖',
  '刷单',
  '传销',
  '资金盘',
  '洗钱',
  // 广告法 — medical and absolute claims
  '包治',
  '根治',
  '国家级',
];
