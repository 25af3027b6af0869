/**
 * The contact policy (`GET/PUT /v1/planner/policy`, src/core/campaigns/policy-schema.ts) as the
 * settings form holds it, and back. Pure, so the round trip is tested without a browser; what the
 * form does not edit (unreachable regions) is carried over from the document it was loaded from.
 */

export interface LocalWindow {
  start: string;
  end: string;
}
export type CapWindow =
  { kind: 'rolling'; hours: number } | { kind: 'calendar'; unit: 'day' | 'week' | 'month' };
export interface CapRule {
  scope: string;
  max: number;
  window: CapWindow;
}
export interface Policy {
  caps: CapRule[];
  quietHours: LocalWindow | null;
  sendWindows: Record<string, LocalWindow[] | undefined>;
  defaultTimezone: string;
  maxMarketingPerSlot: number;
  globalControlShare?: number;
  quietSpreadMinutes?: number;
  marketingGapHours?: number;
  unreachableRegions?: Record<string, string[] | undefined>;
}
export interface PolicyView {
  version: number;
  policy: Policy;
  updatedAt: string | null;
}

export type CapPeriod = 'day' | 'week' | 'month' | 'hours';
export interface PolicyValues {
  caps: { scope: string; max: number; per: CapPeriod; hours?: number }[];
  quietOn: boolean;
  quietStart: string;
  quietEnd: string;
  defaultTimezone: string;
  quietSpreadMinutes: number;
  windows: { channel: string; start: string; end: string }[];
  marketingGapHours: number;
  maxMarketingPerSlot: number;
  globalControlPercent: number;
}

/** Defaults the server applies when a field is absent (policy-schema.ts). */
const SPREAD_DEFAULT = 120;
const GAP_DEFAULT = 4;

export const policyToValues = (p: Policy): PolicyValues => ({
  caps: p.caps.map((c) =>
    c.window.kind === 'rolling'
      ? { scope: c.scope, max: c.max, per: 'hours' as const, hours: c.window.hours }
      : { scope: c.scope, max: c.max, per: c.window.unit },
  ),
  quietOn: p.quietHours !== null,
  quietStart: p.quietHours?.start ?? '22:00',
  quietEnd: p.quietHours?.end ?? '08:00',
  defaultTimezone: p.defaultTimezone,
  quietSpreadMinutes: p.quietSpreadMinutes ?? SPREAD_DEFAULT,
  windows: Object.entries(p.sendWindows).flatMap(([channel, ws]) =>
    (ws ?? []).map((w) => ({ channel, start: w.start, end: w.end })),
  ),
  marketingGapHours: p.marketingGapHours ?? GAP_DEFAULT,
  maxMarketingPerSlot: p.maxMarketingPerSlot,
  globalControlPercent: Math.round((p.globalControlShare ?? 0) * 1000) / 10,
});

export const valuesToPolicy = (v: PolicyValues, original: Policy): Policy => {
  const sendWindows: Record<string, LocalWindow[]> = {};
  for (const w of v.windows) (sendWindows[w.channel] ??= []).push({ start: w.start, end: w.end });
  const share = Math.round(v.globalControlPercent * 10) / 1000;
  return {
    caps: v.caps.map((c) => ({
      scope: c.scope,
      max: c.max,
      window:
        c.per === 'hours' ? { kind: 'rolling', hours: c.hours ?? 24 } : { kind: 'calendar', unit: c.per },
    })),
    quietHours: v.quietOn ? { start: v.quietStart, end: v.quietEnd } : null,
    sendWindows,
    defaultTimezone: v.defaultTimezone,
    maxMarketingPerSlot: v.maxMarketingPerSlot,
    globalControlShare: share,
    quietSpreadMinutes: v.quietSpreadMinutes,
    marketingGapHours: v.marketingGapHours,
    ...(original.unreachableRegions === undefined ? {} : { unreachableRegions: original.unreachableRegions }),
  };
};

/** Index in the form's window list of the `i`-th window of `channel` (the server's path). */
export const windowIndexOf = (windows: PolicyValues['windows'], channel: string, i: number): number => {
  let seen = -1;
  for (let k = 0; k < windows.length; k++) if (windows[k]?.channel === channel && ++seen === i) return k;
  return 0;
};

export const TIME = /^([01]\d|2[0-3]):[0-5]\d$/;
export const minutesOf = (hhmm: string): number => Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5));
