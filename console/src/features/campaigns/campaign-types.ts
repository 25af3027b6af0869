/** The campaign answers, as the server's schemas define them (lib/api-types.ts). */
export type {
  AudienceListAnswer,
  Campaign,
  CampaignListAnswer,
  CampaignStatus,
  Estimate,
} from '../../lib/api-types.ts';

import type { MoreContents } from './channel-content.ts';

/** Every channel the API takes a content for (src/core/content/schema.ts), in the form's order. */
export const EDITOR_CHANNELS = ['push', 'sms', 'in_app', 'email', 'wecom', 'call', 'webhook'] as const;
export type EditorChannel = (typeof EDITOR_CHANNELS)[number];

/**
 * One A/B variant as the editor holds it: its share of the treated users (percent; the shares add
 * up to 100), the channels it is reached on (empty: the campaign's), and its own content per
 * channel where `own` says so (else the campaign's).
 */
export interface VariantState {
  id: string;
  share: number;
  channels: EditorChannel[];
  own: Partial<Record<EditorChannel, boolean>>;
  push: { title: string; body: string; landingUrl: string };
  sms: { text: string; signature: string };
  /** Its own in-app, e-mail, WeCom, call-list and webhook contents (used where `own` says so). */
  more: MoreContents;
  /**
   * Its offer (an offer test, e.g. ¥5 vs ¥10 vs none): the campaign's, none, or its own coupon of
   * `offerCents` fen. `offerSaved`: the own offer as loaded, so saving keeps what the form does not
   * show (validity, redemption rate; a rule other than a fixed amount is kept whole).
   */
  offer: 'inherit' | 'none' | 'custom';
  offerCents: number | null;
  offerSaved?: Record<string, unknown> | undefined;
  /** Its weight as loaded and the share shown for it: an untouched share saves the exact weight. */
  weightSaved?: { share: number; weight: number } | undefined;
}

export interface EditorState {
  name: string;
  audienceId: string;
  channels: EditorChannel[];
  push: { title: string; body: string; landingUrl: string };
  /** `maxSegments`: the campaign's SMS part limit (the content gate refuses more). */
  sms: { text: string; signature: string; maxSegments: number };
  /** The in-app, e-mail, WeCom, call-list and webhook contents. */
  more: MoreContents;
  offerAmountCents: number | null;
  goalEvent: string;
  goalDays: number;
  ab: boolean;
  variants: VariantState[];
  /** Users in quiet hours: hold their message to the morning, or leave them out. */
  outsideWindow: 'hold' | 'drop';
  holdoutShare: number;
  timing: 'one_off' | 'periodic' | 'triggered';
  at: string;
  cron: string;
  timezone: string;
  triggerEvent: string;
  delayMinutes: number;
  budgetYuan: number | null;
  priority: number;
  /**
   * The definition as loaded: saving keeps what the form does not show (class, category, a recall
   * ladder, a recommendation, a trigger's conditions, a schedule's start and end, an offer's rules).
   */
  saved?: Record<string, unknown> | undefined;
}
