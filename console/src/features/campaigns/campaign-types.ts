/** The campaign answers, as the server's schemas define them (lib/api-types.ts). */
export type {
  AudienceListAnswer,
  Campaign,
  CampaignListAnswer,
  CampaignStatus,
  Estimate,
} from '../../lib/api-types.ts';

export interface EditorState {
  name: string;
  audienceId: string;
  channels: ('push' | 'sms')[];
  push: { title: string; body: string; landingUrl: string };
  /** `maxSegments`: the campaign's SMS part limit (the content gate refuses more). */
  sms: { text: string; signature: string; maxSegments: number };
  offerAmountCents: number | null;
  goalEvent: string;
  goalDays: number;
  ab: boolean;
  holdoutShare: number;
  timing: 'one_off' | 'periodic' | 'triggered';
  at: string;
  cron: string;
  timezone: string;
  triggerEvent: string;
  delayMinutes: number;
  budgetYuan: number | null;
  priority: number;
}
