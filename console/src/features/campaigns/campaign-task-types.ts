/** The campaign-task answers, as the server's schemas define them (lib/api-types.ts). */
export type { CampaignProgress, CampaignTotals, CopyAnswer } from '../../lib/api-types.ts';
