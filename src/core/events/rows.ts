/** Where a stored record came from; kept on every row for lineage and for the dedup window. */
export type IngestSource = 'http' | 'import' | 'demo';

/** One behaviour event as the warehouse stores it (times are epoch milliseconds, UTC). */
export interface EventRow {
  messageId: string;
  userId: string;
  anonymousId: string | null;
  event: string;
  ts: number;
  receivedAt: number;
  amount: number | null;
  currency: string | null;
  productId: string | null;
  category: string | null;
  orderId: string | null;
  platform: string | null;
  /** Remaining properties as a JSON object text. */
  properties: string;
  source: IngestSource;
}

/** One identify call: the traits a user had at `ts`, already validated and normalised. */
export interface IdentifyRow {
  messageId: string;
  userId: string;
  ts: number;
  receivedAt: number;
  /** Canonical profile columns that were present in this call. */
  columns: Partial<ProfileColumnValues>;
  /** Every trait of the call (canonical names for known ones), as given. */
  traits: Record<string, unknown>;
  source: IngestSource;
}

export interface ProfileColumnValues {
  register_time: number;
  acquisition_channel: string;
  city: string;
  timezone: string;
  balance: number;
  membership: string;
  phone: string;
  email: string;
  push_token: string;
  consent_push: boolean;
  consent_sms: boolean;
  consent_email: boolean;
  consent_wecom: boolean;
  consent_call: boolean;
}
