import type { ProfileColumnValues } from '../events/rows.ts';

export type ProfileColumnName = keyof ProfileColumnValues;
export type ProfileColumnKind =
  'timestamp' | 'string' | 'number' | 'boolean' | 'timezone' | 'email' | 'phone';

export interface ProfileColumn {
  name: ProfileColumnName;
  kind: ProfileColumnKind;
  /** Trait names that SDKs commonly send for this column (Segment's reserved traits included). */
  aliases: readonly string[];
}

/**
 * The typed profile columns of the warehouse. Any other trait is kept in the JSON `traits`
 * column; these get their own column because audiences, quiet hours and channel consent read them.
 */
export const PROFILE_COLUMNS: readonly ProfileColumn[] = [
  { name: 'register_time', kind: 'timestamp', aliases: ['createdAt', 'registerTime', 'registeredAt'] },
  { name: 'acquisition_channel', kind: 'string', aliases: ['acquisitionChannel', 'channel'] },
  { name: 'city', kind: 'string', aliases: [] },
  { name: 'timezone', kind: 'timezone', aliases: ['timeZone', 'tz'] },
  { name: 'balance', kind: 'number', aliases: [] },
  { name: 'membership', kind: 'string', aliases: ['plan'] },
  { name: 'phone', kind: 'phone', aliases: ['mobile'] },
  { name: 'email', kind: 'email', aliases: [] },
  { name: 'push_token', kind: 'string', aliases: ['pushToken', 'deviceToken'] },
  { name: 'consent_push', kind: 'boolean', aliases: ['consentPush'] },
  { name: 'consent_sms', kind: 'boolean', aliases: ['consentSms'] },
  { name: 'consent_email', kind: 'boolean', aliases: ['consentEmail'] },
  { name: 'consent_wecom', kind: 'boolean', aliases: ['consentWecom'] },
  { name: 'consent_call', kind: 'boolean', aliases: ['consentCall'] },
];

const byAlias = new Map<string, ProfileColumn>();
for (const column of PROFILE_COLUMNS) {
  byAlias.set(column.name, column);
  for (const alias of column.aliases) byAlias.set(alias, column);
}

export const profileColumnForTrait = (trait: string): ProfileColumn | undefined => byAlias.get(trait);
