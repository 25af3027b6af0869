import { maskEmail, maskPhone } from '../audience/mask.ts';
import { reasonInWords, type ReasonLocale } from '../models/churn/reason-words.ts';
import {
  CONTACT_COLUMNS,
  isProfileColumn,
  isScoreColumn,
  traitKey,
  type ExportColumn,
  type ProfileExportColumn,
  type ScoreExportColumn,
} from './columns.ts';
import { emailSha256, phoneSha256 } from './hashed-contacts.ts';

/**
 * What an export reads and how each cell is written, pure: the storage reads the `ExportNeeds`
 * (profile and score columns, the latest survey answer, the first model reason, traits) and
 * `exportCells` turns one stored row into the CSV cells of the chosen columns.
 */

export type ContactMode = 'none' | 'masked' | 'clear';

export interface ExportNeeds {
  profile: ProfileExportColumn[];
  scores: ScoreExportColumn[];
  churnReason: boolean;
  topReason: boolean;
  traits: string[];
}

/**
 * The columns that will be written: raw phone and e-mail are left out under `none` (as before);
 * the hashed columns stay in every mode (rule in docs/audiences.md, "Exports").
 */
export const exportedColumns = (columns: readonly ExportColumn[], contacts: ContactMode): ExportColumn[] => [
  ...new Set(columns.filter((c) => contacts !== 'none' || !CONTACT_COLUMNS.includes(c))),
];

export const exportNeeds = (columns: readonly ExportColumn[]): ExportNeeds => {
  const profile = new Set<ProfileExportColumn>();
  const scores: ScoreExportColumn[] = [];
  const traits: string[] = [];
  for (const c of columns) {
    if (isProfileColumn(c)) profile.add(c);
    else if (isScoreColumn(c)) scores.push(c);
    else if (c === 'phone_sha256') profile.add('phone');
    else if (c === 'email_sha256') profile.add('email');
    const key = traitKey(c);
    if (key !== null) traits.push(key);
  }
  return {
    profile: [...profile],
    scores,
    churnReason: columns.includes('churn_reason'),
    topReason: columns.includes('top_risk_reason'),
    traits,
  };
};

/** One member as the storage reads it: keys are the needed column names, `traits.<key>` and the reason's parts. */
export interface StoredExportRow {
  user_id: unknown;
  reason_feature?: unknown;
  reason_value?: unknown;
  reason_contribution?: unknown;
  [column: string]: unknown;
}

const finite = (v: unknown): number | null => {
  const n = typeof v === 'bigint' ? Number(v) : typeof v === 'number' ? v : Number.NaN;
  return Number.isFinite(n) ? n : null;
};

/** The first model reason as a sentence; empty when the user has no churn risk scored. */
export const topReasonText = (row: StoredExportRow, locale: ReasonLocale): string | null => {
  if (typeof row.reason_feature !== 'string' || row.reason_feature === '') return null;
  return reasonInWords(
    {
      feature: row.reason_feature,
      value: finite(row.reason_value),
      contribution: finite(row.reason_contribution) ?? 0,
    },
    locale,
  );
};

export const exportCells = (
  columns: readonly ExportColumn[],
  row: StoredExportRow,
  options: { contacts: ContactMode; locale: ReasonLocale },
): unknown[] => [
  row.user_id,
  ...columns.map((c) => {
    switch (c) {
      case 'phone':
        return options.contacts === 'masked' ? maskPhone(row[c] as string | null) : row[c];
      case 'email':
        return options.contacts === 'masked' ? maskEmail(row[c] as string | null) : row[c];
      case 'phone_sha256':
        return phoneSha256(row['phone']);
      case 'email_sha256':
        return emailSha256(row['email']);
      case 'top_risk_reason':
        return topReasonText(row, options.locale);
      default:
        return row[c];
    }
  }),
];
