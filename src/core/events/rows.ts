/** Where a stored record came from; kept on every row for lineage and for the dedup window. */
export type IngestSource = 'http' | 'import' | 'demo';

/**
 * Event names the Segment calls other than track are stored under (docs/ingestion.md). An
 * `alias` event links `properties.previousId` to its user, a `group` event sets the trait
 * `group_id` from `properties.groupId`: these two names are reserved for those calls.
 */
export const PAGE_EVENT = 'page';
export const SCREEN_EVENT = 'screen';
export const GROUP_EVENT = 'group';
export const ALIAS_EVENT = 'alias';

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
  /** The call's anonymousId when it also had a userId: the two are linked (identity stitching). */
  anonymousId?: string | null;
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
