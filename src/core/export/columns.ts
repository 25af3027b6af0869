/** Profile columns an export may carry besides `user_id`. */
export const EXPORT_COLUMNS = [
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
export type ExportColumn = (typeof EXPORT_COLUMNS)[number];
