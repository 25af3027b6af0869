/** The dashboard's answers, as the server's schemas define them (lib/api-types.ts). */
export type {
  Activity,
  CampaignListAnswer as Running,
  ChurnStructure,
  Funnel,
  RiskDistribution as Risk,
} from '../../lib/api-types.ts';
