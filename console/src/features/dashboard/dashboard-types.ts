export interface Activity {
  points: { at: string; active: number; silent: number; churned: number }[];
}
interface GroupRow {
  key: string;
  users: number;
  churned: number;
  churnRate: number;
}
export interface ChurnStructure {
  users: number;
  churned: number;
  churnRate: number;
  byStage: { stage: string; reached: number; churned: number; churnRate: number }[];
  byChannel: GroupRow[];
  byCohort: GroupRow[];
}
export interface Risk {
  scored: number;
  bins: { from: number; to: number; users: number }[];
  levels: { level: string; users: number }[];
}
export interface Funnel {
  statuses: { status: string; messages: number }[];
  recipients: number;
  conversions: number;
  revenue: number;
  cost: number;
  roi: number | null;
}
