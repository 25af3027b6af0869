import { useMemo } from 'react';
import { en as dict } from '../../lib/dict/audiences.ts';
import { useI18n, type Locale, type MessageKey } from '../../lib/i18n.tsx';
import { segmentLabel, type SegmentDimension } from '../../lib/segment-words.ts';

/**
 * Names in words: events, properties, profile fields, scores and their values, from the area's
 * dictionary where it has them (the demo's and Rekindle's own names); a workspace's own name
 * without words shows as itself (it is data, not a code the console made up).
 */
const has = (key: string): key is MessageKey => Object.hasOwn(dict, key);

/** The dimension words of scores and fields whose values the strategy matrix already names. */
const SEGMENT_OF: Readonly<Record<string, SegmentDimension>> = {
  rfm_tier: 'tier',
  churn_risk_level: 'risk',
  churn_reason: 'reason',
  lifecycle_stage: 'stage',
};

export const fill = (text: string, vars: Record<string, string | number>): string =>
  text.replace(/\{(\w+)\}/g, (m, k: string) => (k in vars ? String(vars[k]) : m));

export interface Labels {
  t: (key: MessageKey) => string;
  locale: Locale;
  f: (key: MessageKey, vars: Record<string, string | number>) => string;
  event: (name: string) => string;
  property: (name: string) => string;
  attribute: (name: string) => string;
  score: (name: string) => string;
  /** A value of a field (attribute, score or property) in words. */
  value: (field: string, value: string) => string;
}

export const useLabels = (): Labels => {
  const { t, locale } = useI18n();
  return useMemo(() => {
    const word = (prefix: string, name: string) => {
      const key = `${prefix}${name}`;
      return has(key) ? t(key) : name;
    };
    return {
      t,
      locale,
      f: (key, vars) => fill(t(key), vars),
      event: (n) => word('aud.e.', n),
      property: (n) => word('aud.p.', n),
      attribute: (n) => word('aud.a.', n),
      score: (n) => word('aud.s.', n),
      value: (field, v) => {
        const d = SEGMENT_OF[field];
        if (d !== undefined) {
          const w = segmentLabel(locale, d, v);
          if (w !== v) return w;
        }
        return word('aud.v.', v);
      },
    };
  }, [t, locale]);
};

/** A warning of the server in the operator's language, built from its parts (never its English). */
export const warningText = (
  L: Labels,
  w: { what: 'event' | 'property' | 'trait'; name: string; suggestion: string | null; event?: string },
): string => {
  const hint =
    w.suggestion === null
      ? ''
      : L.f('aud.w.hint', { s: w.what === 'event' ? L.event(w.suggestion) : w.suggestion });
  if (w.what === 'event') return L.f('aud.w.event', { name: w.name }) + hint;
  if (w.what === 'property')
    return L.f('aud.w.property', { name: w.name, event: L.event(w.event ?? '') }) + hint;
  return L.f('aud.w.trait', { name: w.name }) + hint;
};
