export type CampaignStatus =
  'draft' | 'pending_review' | 'approved' | 'scheduled' | 'running' | 'paused' | 'finished' | 'cancelled';

export interface Campaign {
  id: string;
  name: string;
  status: CampaignStatus;
  version: number;
  owner: { id: number; name: string };
  updatedAt: string;
  nextSlotAt: string | null;
  /** Past its last slot, still sending: shown as 发送中 until its last message has an outcome. */
  awaitingDelivery?: boolean;
  definition: { audienceId: string; channels: string[]; holdoutShare: number };
}

export interface Estimate {
  members: number;
  messages: number;
  holdout: number;
  skipped: number;
  byChannel: { channel: string; messages: number; priceCents: number }[];
  offer: { issued: number; averageValueCents: number } | null;
  cost: unknown;
}

export interface EditorState {
  name: string;
  audienceId: string;
  channels: ('push' | 'sms')[];
  push: { title: string; body: string; landingUrl: string };
  sms: { text: string; signature: string };
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
