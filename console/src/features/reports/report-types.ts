/** The report API's answers (src/server/routes/reports.ts), the fields this page shows. */
export interface StatsRow {
  key: string;
  planned: number;
  sent: number;
  delivered: number;
  failed: number;
  clicked: number;
  ctr: number | null;
  users: number;
  convertedUsers: number;
  conversionRate: number | null;
  unsubscribes: number;
  cost: number;
  /** What was spent, in fen (docs/reports.md "Cost"). */
  messagesCostCents: number;
  offersIssuedCostCents: number;
  offersRedeemedCostCents: number;
  offersBonusCostCents: number;
  costCents: number;
  revenue: number;
  roi: number | null;
  /** In-app messages put in the inbox and, of them, read (in-app has no delivery receipt). */
  inAppStored: number;
  inAppRead: number;
}
export interface Stats {
  /** The days counted when a range was asked for (every figure covers only them). */
  range: { from: string; to: string; timeZone: string } | null;
  costRecognition: 'issue' | 'redemption' | null;
  rows: StatsRow[];
  total: StatsRow;
  /** In-app has no delivery receipt: what its inbox records instead (null: no in-app messages). */
  inApp: { stored: number; read: number } | null;
}
interface Interval {
  low: number;
  high: number;
}
interface Outcome {
  users: number;
  converted: number;
  rate: number | null;
  ci: Interval;
}
export interface Lift {
  treatment: Outcome;
  holdout: Outcome;
  vsHoldout: {
    absoluteLift: number;
    absoluteCi: Interval;
    relativeLift: number | null;
    pValue: number;
  } | null;
}
export interface Ab {
  winner: string | null;
  reason: string;
  alphaPerComparison: number;
  arms: {
    id: string;
    users: number;
    conversions: number;
    rate: number;
    ci: Interval;
    vsControl: { difference: number; pValue: number; significant: boolean } | null;
  }[];
  /** Per variant, its users' offer (null: none) and what its offers cost as spent (fen). */
  offers?: AbOffer[];
}
export interface AbOffer {
  id: string;
  offer: {
    kind: 'coupon' | 'red_packet' | 'points';
    costRecognition: 'issue' | 'redemption';
    /** Fen, or points for points; null when the amount depends on the member. */
    amount: number | null;
  } | null;
  offerCostCents: number;
}
/** Cost as spent, in fen (docs/reports.md "Cost"). */
interface SpentCents {
  messagesCostCents: number;
  offersIssuedCostCents: number;
  offersRedeemedCostCents: number;
  offersBonusCostCents: number;
  costCents: number;
}
interface TrendPoint {
  period: string;
  sent: number;
  unsubscribed: number;
  rate: number | null;
}
/** GET /v1/reports/period: revenue in yuan, cost in fen. */
export interface Period extends SpentCents {
  from: string;
  to: string;
  campaigns: ({
    campaignId: string;
    name: string;
    sent: number;
    reachedUsers: number;
    convertedUsers: number;
    revenue: number;
    roi: number | null;
  } & SpentCents)[];
  sent: number;
  reachedUsers: number;
  convertedUsers: number;
  revenue: number;
  roi: number | null;
  unsubscribeTrend: { day: TrendPoint[]; week: TrendPoint[] };
}

/** GET /v1/reports/relapse (src/server/routes/relapse.ts). */
export interface RelapseView {
  silentDays: number;
  campaigns: {
    campaignId: string;
    name: string;
    recalled: number;
    retained: number;
    watching: number;
    relapsed: number;
    relapseRate: number | null;
  }[];
  users: {
    campaignId: string;
    userId: string;
    status: 'watching' | 'relapsed';
    convertedAt: string;
    windowEndsAt: string;
  }[];
  usersTotal: number;
}

/** GET /v1/campaigns/:id/roi (src/server/routes/campaign-roi.ts): money in fen. */
export interface CampaignRoi {
  attributed: { revenueCents: number; costCents: number; roi: number | null };
  incremental: {
    treatedUsers: number;
    holdoutUsers: number;
    /** Yuan per user. */
    revenuePerUserLift: number;
    incrementalRevenueCents: number;
    incrementalRevenueCiCents: Interval;
    costCents: number;
    roi: number | null;
    roiCi: Interval | null;
  } | null;
}
