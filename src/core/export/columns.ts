import { err, ok, type Result } from '../result.ts';

/** Profile columns an export may carry besides `user_id` (columns of the `profiles` table). */
export const PROFILE_EXPORT_COLUMNS = [
  'acquisition_channel',
  'register_time',
  'city',
  'timezone',
  'membership',
  'balance',
  'phone',
  'email',
  'consent_sms',
  'consent_call',
  'consent_email',
  'consent_push',
  'consent_wecom',
] as const;
export type ProfileExportColumn = (typeof PROFILE_EXPORT_COLUMNS)[number];

/**
 * Columns of `user_scores`. The value model's three (`p_alive`, `expected_purchases`,
 * `expected_spend`) exist only once that model's DDL has run; until then they export empty.
 */
export const SCORE_EXPORT_COLUMNS = [
  'lifecycle_stage',
  'rfm_tier',
  'churn_risk_score',
  'churn_risk_level',
  'ltv',
  'p_alive',
  'expected_purchases',
  'expected_spend',
] as const;
export type ScoreExportColumn = (typeof SCORE_EXPORT_COLUMNS)[number];

/**
 * Computed per row: the latest call-back answer (`churn_reason`), the churn model's first reason
 * as a sentence (`top_risk_reason`), and contacts hashed for ad platforms' customer match.
 */
export const DERIVED_EXPORT_COLUMNS = [
  'churn_reason',
  'top_risk_reason',
  'phone_sha256',
  'email_sha256',
] as const;
export type DerivedExportColumn = (typeof DERIVED_EXPORT_COLUMNS)[number];

/** Every fixed column; `traits.<key>` columns come on top (see `parseExportColumns`). */
export const EXPORT_COLUMNS = [
  ...PROFILE_EXPORT_COLUMNS,
  ...SCORE_EXPORT_COLUMNS,
  ...DERIVED_EXPORT_COLUMNS,
] as const;
export type FixedExportColumn = (typeof EXPORT_COLUMNS)[number];
export type TraitExportColumn = `traits.${string}`;
export type ExportColumn = FixedExportColumn | TraitExportColumn;

/** Raw contacts: masked or dropped by the contact mode, clear for admins only. */
export const CONTACT_COLUMNS: readonly ExportColumn[] = ['phone', 'email'];

export const TRAIT_PREFIX = 'traits.';
/** A trait key as a column name: plain identifier characters, so it is safe in a header and a JSON path. */
const TRAIT_KEY = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;

const FIXED = new Set<string>(EXPORT_COLUMNS);

export const isProfileColumn = (c: ExportColumn): c is ProfileExportColumn =>
  (PROFILE_EXPORT_COLUMNS as readonly string[]).includes(c);
export const isScoreColumn = (c: ExportColumn): c is ScoreExportColumn =>
  (SCORE_EXPORT_COLUMNS as readonly string[]).includes(c);
export const traitKey = (c: ExportColumn): string | null =>
  c.startsWith(TRAIT_PREFIX) ? c.slice(TRAIT_PREFIX.length) : null;

/** Whether one name is an export column (a fixed one or `traits.<key>` with a plain key). */
export const isExportColumn = (c: string): c is ExportColumn =>
  FIXED.has(c) || (c.startsWith(TRAIT_PREFIX) && TRAIT_KEY.test(c.slice(TRAIT_PREFIX.length)));

export const EXPORT_COLUMNS_HELP = `${EXPORT_COLUMNS.join(', ')}, traits.<key>`;

/** A comma-separated list → the columns in order without repeats, or a sentence naming the first bad one. */
export const parseExportColumns = (text: string): Result<ExportColumn[], string> => {
  const cols = text
    .split(',')
    .map((c) => c.trim())
    .filter((c) => c !== '');
  const bad = cols.find((c) => !isExportColumn(c));
  if (bad !== undefined)
    return err(
      bad.startsWith(TRAIT_PREFIX)
        ? `export column '${bad.slice(0, 80)}': a trait key has letters, digits and _ only (at most 64)`
        : `unknown export column '${bad.slice(0, 80)}'; known: ${EXPORT_COLUMNS_HELP}`,
    );
  return ok([...new Set(cols as ExportColumn[])]);
};
