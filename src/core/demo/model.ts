/**
 * The demo app: a Chinese consumer app that sells goods and has a wallet with wealth products
 * (e-commerce with a fintech flavour). Every number here is a modelling assumption, chosen so the
 * data shows the patterns the seed articles describe: new users from distribution channels churn
 * most, referred users churn more later on, users with few orders or small investments churn more
 * than those with a habit, and activity follows local daytime, weekends and the shopping calendar.
 */

export const CHANNELS = ['organic', 'app_store', 'search_ads', 'social', 'distribution', 'referral'] as const;
export type Channel = (typeof CHANNELS)[number];

export type Stage = 'new' | 'growing' | 'mature';

export interface ChannelModel {
  name: Channel;
  /** Share of sign-ups. */
  share: number;
  /** Multiplier of the daily churn hazard in the new / growing / mature stage. */
  hazard: readonly [number, number, number];
  /** Median sessions per day right after sign-up. */
  sessionsPerDay: number;
  /** Days over which a new user's novelty engagement wears off. */
  noveltyDays: number;
  /** Probability that a churned user ever comes back. */
  comeback: number;
  /** Share of users who use the wallet (invest, withdraw). */
  wallet: number;
}

export const CHANNEL_MODELS: readonly ChannelModel[] = [
  {
    name: 'organic',
    share: 0.24,
    hazard: [0.7, 0.8, 0.8],
    sessionsPerDay: 0.07,
    noveltyDays: 60,
    comeback: 0.4,
    wallet: 0.35,
  },
  {
    name: 'app_store',
    share: 0.2,
    hazard: [1, 1, 1],
    sessionsPerDay: 0.065,
    noveltyDays: 40,
    comeback: 0.35,
    wallet: 0.3,
  },
  {
    name: 'search_ads',
    share: 0.15,
    hazard: [1.3, 1.1, 1],
    sessionsPerDay: 0.059,
    noveltyDays: 30,
    comeback: 0.3,
    wallet: 0.35,
  },
  {
    name: 'social',
    share: 0.13,
    hazard: [1.6, 1.2, 1],
    sessionsPerDay: 0.053,
    noveltyDays: 20,
    comeback: 0.3,
    wallet: 0.25,
  },
  // Pre-installs, app unions and wealth marketplaces: cheap installs, the weakest intent.
  {
    name: 'distribution',
    share: 0.18,
    hazard: [3.2, 1.5, 1.1],
    sessionsPerDay: 0.047,
    noveltyDays: 10,
    comeback: 0.15,
    wallet: 0.45,
  },
  // Invited by a friend for a reward: they stay at first, then drift away more than others.
  {
    name: 'referral',
    share: 0.1,
    hazard: [0.8, 1.5, 1.4],
    sessionsPerDay: 0.065,
    noveltyDays: 45,
    comeback: 0.3,
    wallet: 0.4,
  },
];

export const DISTRIBUTION_PARTNERS = ['oem_preinstall', 'app_union', 'finance_marketplace'] as const;
export const DISTRIBUTION_PARTNER_WEIGHTS = [0.45, 0.3, 0.25] as const;

/** Daily churn hazard of an average user by stage (before channel, value and personal factors). */
export const STAGE_HAZARD: readonly [number, number, number] = [0.035, 0.016, 0.005];
/** Days since (re)activation at which a user leaves the new, then the growing stage. */
export const NEW_STAGE_DAYS = 14;
export const GROWING_STAGE_DAYS = 60;

export type PhonePlan = 'cn' | 'hk' | 'sg' | 'jp' | 'us' | 'uk';

export interface CityModel {
  city: string;
  timezone: string;
  weight: number;
  phone: PhonePlan;
  language: string;
  /** Mainland China: WeChat mini program, WeCom and Chinese marketing habits apply. */
  mainland: boolean;
}

const cn = (city: string, weight: number): CityModel => ({
  city,
  timezone: 'Asia/Shanghai',
  weight,
  phone: 'cn',
  language: 'zh-CN',
  mainland: true,
});

export const CITIES: readonly CityModel[] = [
  cn('上海', 16),
  cn('北京', 14),
  cn('深圳', 11),
  cn('广州', 10),
  cn('杭州', 8),
  cn('成都', 7),
  cn('武汉', 5),
  cn('南京', 5),
  cn('西安', 4),
  cn('重庆', 4),
  {
    city: '香港',
    timezone: 'Asia/Hong_Kong',
    weight: 5,
    phone: 'hk',
    language: 'zh-HK',
    mainland: false,
  },
  { city: '新加坡', timezone: 'Asia/Singapore', weight: 4, phone: 'sg', language: 'en', mainland: false },
  { city: '东京', timezone: 'Asia/Tokyo', weight: 3, phone: 'jp', language: 'ja', mainland: false },
  {
    city: '洛杉矶',
    timezone: 'America/Los_Angeles',
    weight: 2,
    phone: 'us',
    language: 'en',
    mainland: false,
  },
  { city: '伦敦', timezone: 'Europe/London', weight: 2, phone: 'uk', language: 'en', mainland: false },
];

export const PLATFORMS = ['ios', 'android', 'miniprogram', 'web'] as const;
export type Platform = (typeof PLATFORMS)[number];
export const PLATFORM_WEIGHTS_MAINLAND = [0.32, 0.45, 0.18, 0.05] as const;
export const PLATFORM_WEIGHTS_ABROAD = [0.55, 0.3, 0, 0.15] as const;

export interface CategoryModel {
  name: string;
  /** Share of views from users without a preference. */
  popularity: number;
  /** Median item price, CNY. */
  medianPrice: number;
  /** Log-space spread of item prices. */
  priceSigma: number;
  keywords: readonly string[];
}

export const CATEGORIES: readonly CategoryModel[] = [
  {
    name: 'apparel',
    popularity: 0.2,
    medianPrice: 89,
    priceSigma: 0.55,
    keywords: ['连衣裙', 'T恤', '羽绒服', '牛仔裤', 'sneakers'],
  },
  {
    name: 'beauty',
    popularity: 0.14,
    medianPrice: 119,
    priceSigma: 0.6,
    keywords: ['口红', '面膜', '精华', 'sunscreen'],
  },
  {
    name: 'electronics',
    popularity: 0.08,
    medianPrice: 329,
    priceSigma: 0.9,
    keywords: ['耳机', '充电宝', '手机壳', 'iPad', '键盘'],
  },
  {
    name: 'home',
    popularity: 0.13,
    medianPrice: 59,
    priceSigma: 0.6,
    keywords: ['收纳', '四件套', '保温杯', '台灯'],
  },
  {
    name: 'food',
    popularity: 0.17,
    medianPrice: 35,
    priceSigma: 0.5,
    keywords: ['零食', '坚果', '咖啡', '牛奶'],
  },
  { name: 'baby', popularity: 0.07, medianPrice: 89, priceSigma: 0.5, keywords: ['纸尿裤', '奶粉', '童装'] },
  {
    name: 'sports',
    popularity: 0.08,
    medianPrice: 139,
    priceSigma: 0.6,
    keywords: ['跑鞋', '瑜伽垫', '运动水壶'],
  },
  { name: 'books', popularity: 0.06, medianPrice: 39, priceSigma: 0.4, keywords: ['小说', '绘本', '考研'] },
  { name: 'pets', popularity: 0.07, medianPrice: 59, priceSigma: 0.5, keywords: ['猫粮', '狗粮', '猫砂'] },
];
export const PRODUCTS_PER_CATEGORY = 400;

export interface FundModel {
  fund: string;
  weight: number;
  termDays: number;
  /** A rate-boosted product: buying one shows trust in the platform (lower churn). */
  boosted: boolean;
}

export const FUNDS: readonly FundModel[] = [
  { fund: 'money_market', weight: 0.45, termDays: 0, boosted: false },
  { fund: 'bond_fund', weight: 0.2, termDays: 0, boosted: false },
  { fund: 'fixed_term_90d', weight: 0.15, termDays: 90, boosted: false },
  { fund: 'fixed_term_365d', weight: 0.08, termDays: 365, boosted: false },
  { fund: 'boosted_rate_30d', weight: 0.12, termDays: 30, boosted: true },
];

export const SIGN_UP_METHODS = ['phone', 'wechat', 'apple', 'email'] as const;
export const SIGN_UP_METHOD_WEIGHTS = [0.55, 0.3, 0.1, 0.05] as const;
export const LOGIN_METHODS = ['password', 'sms_code', 'wechat', 'biometric'] as const;
export const LOGIN_METHOD_WEIGHTS = [0.25, 0.3, 0.25, 0.2] as const;
export const PAY_METHODS = ['alipay', 'wechat_pay', 'card'] as const;
export const PAY_METHOD_WEIGHTS = [0.48, 0.42, 0.1] as const;
export const REFUND_REASONS = ['quality', 'size', 'changed_mind', 'late_delivery'] as const;
export const BROWSE_PAGES = ['home', 'recommend', 'category', 'promotion'] as const;
export const BROWSE_PAGE_WEIGHTS = [0.35, 0.3, 0.25, 0.1] as const;

export const GENDERS = ['female', 'male', 'unknown'] as const;
export const GENDER_WEIGHTS = [0.52, 0.44, 0.04] as const;
export const AGE_BANDS = ['18-24', '25-34', '35-44', '45-54', '55+'] as const;
export const AGE_BAND_WEIGHTS = [0.22, 0.38, 0.23, 0.11, 0.06] as const;
export const MEMBERSHIPS = ['regular', 'plus', 'vip'] as const;

export const EMAIL_HANDLES = [
  'lei',
  'fang',
  'jing',
  'wei',
  'min',
  'tao',
  'yan',
  'hui',
  'chen',
  'xiao',
  'amy',
  'ken',
  'mika',
  'tom',
  'grace',
  'leo',
] as const;
/** Reserved example domains (RFC 2606): a demo must never reach a real mailbox. */
export const EMAIL_DOMAINS = ['example.com', 'example.net', 'example.org'] as const;

/** Relative activity by local hour of day, 0–23: quiet nights, a lunch bump, an evening peak. */
export const HOUR_WEIGHTS: readonly number[] = [
  1.2, 0.6, 0.3, 0.2, 0.2, 0.3, 0.8, 2, 3, 3.2, 3.4, 3.8, 4.6, 4, 3.3, 3.2, 3.3, 3.6, 4, 4.8, 5.6, 6, 4.8,
  2.8,
];

/** Relative activity and buying by weekday, Monday first. */
export const WEEKDAY_ACTIVITY: readonly number[] = [0.96, 0.95, 0.97, 0.99, 1.04, 1.13, 1.1];
export const WEEKDAY_BUYING: readonly number[] = [0.95, 0.95, 0.97, 1, 1.05, 1.15, 1.1];

/** Spring Festival (Chinese New Year's day) dates, for the holiday dip and the shopping before it. */
export const SPRING_FESTIVALS: readonly string[] = [
  '2020-01-25',
  '2021-02-12',
  '2022-02-01',
  '2023-01-22',
  '2024-02-10',
  '2025-01-29',
  '2026-02-17',
  '2027-02-06',
  '2028-01-26',
  '2029-02-13',
  '2030-02-03',
  '2031-01-23',
  '2032-02-11',
  '2033-01-31',
  '2034-02-19',
  '2035-02-08',
];

/** Users register over this many days before `now`. */
export const REGISTRATION_DAYS = 548;
