import { Type, type Static } from '@sinclair/typebox';
import { LIFECYCLE_STAGES } from '../scores/config.ts';
import { segmentLabel, type SegmentDimension } from './segment-words.ts';

/**
 * The strategy matrix (features.md D6; seed 000 §4 规则 & 策略): one object per workspace whose
 * ordered cells map a user's segment — RFM value tier × churn-risk level × churn reason (call-back
 * survey) × lifecycle stage, each dimension a value or `any` — to a recall flow (a campaign, usually
 * with a ladder) or to "do not disturb". A user falls in the FIRST cell that matches, so in at most
 * one; the planner then lets a flow reach only the users of the cells pointing at it, and keeps
 * do-not-disturb users out of marketing. All of it pure: the shell reads the segments and the
 * matrix, `cellIndexOf` and `matrixVerdicts` decide.
 */

export const ANY = 'any';
export const RISK_LEVELS = ['high', 'medium', 'low'] as const;
/** A user the churn model has not scored (no active model, outside the churn definition). */
export const UNSCORED = 'unscored';

const Code = (description: string) =>
  Type.String({ minLength: 1, maxLength: 40, pattern: '^[a-z][a-z0-9_]*$', description });

export const FlowAction = Type.Object(
  {
    kind: Type.Literal('flow'),
    campaignId: Type.String({ minLength: 1, maxLength: 64, description: 'the recall flow: a campaign' }),
  },
  { additionalProperties: false },
);
export const DoNotDisturbAction = Type.Object(
  { kind: Type.Literal('do_not_disturb') },
  { additionalProperties: false, description: 'no recall marketing for these users' },
);

export const StrategyCell = Type.Object(
  {
    id: Type.String({
      minLength: 1,
      maxLength: 40,
      pattern: '^[A-Za-z0-9_-]+$',
      description: 'stable id of the cell (the preview and skip details name it)',
    }),
    name: Type.Optional(Type.String({ maxLength: 80, description: 'the operator’s own name for the cell' })),
    tier: Type.Union([Type.Literal(ANY), Code('an RFM value tier of the scoring configuration')], {
      default: ANY,
    }),
    risk: Type.Union(
      [Type.Literal(ANY), ...RISK_LEVELS.map((r) => Type.Literal(r)), Type.Literal(UNSCORED)],
      { default: ANY, description: 'churn-risk level; `unscored`: no risk score' },
    ),
    reason: Type.Union([Type.Literal(ANY), Code('a churn-reason code of the scoring configuration')], {
      default: ANY,
      description: 'the latest call-back survey answer (trait `churn_reason`)',
    }),
    stage: Type.Union([Type.Literal(ANY), ...LIFECYCLE_STAGES.map((s) => Type.Literal(s))], {
      default: ANY,
    }),
    action: Type.Union([FlowAction, DoNotDisturbAction]),
  },
  { additionalProperties: false },
);
export type StrategyCell = Static<typeof StrategyCell>;

export const StrategyMatrix = Type.Object(
  {
    enabled: Type.Boolean({ description: 'false: kept, previewed, not enforced by the planner' }),
    dndScope: Type.Union([Type.Literal('marketing'), Type.Literal('matrix_flows')], {
      default: 'marketing',
      description:
        '`marketing`: do-not-disturb users get no marketing campaign at all; `matrix_flows`: only the matrix’s flows leave them out. Transactional messages are never affected.',
    }),
    flowsNeedLadder: Type.Boolean({
      default: true,
      description: 'a flow must be a campaign with a recall ladder',
    }),
    cells: Type.Array(StrategyCell, { maxItems: 200, description: 'in order: the first match wins' }),
  },
  { additionalProperties: false, $id: 'StrategyMatrix' },
);
export type StrategyMatrix = Static<typeof StrategyMatrix>;

export const EMPTY_MATRIX: StrategyMatrix = {
  enabled: true,
  dndScope: 'marketing',
  flowsNeedLadder: true,
  cells: [],
};

/** What the scores say about one user; null where nothing was computed. */
export interface UserSegment {
  tier: string | null;
  risk: string | null;
  reason: string | null;
  stage: string | null;
}

const matches = (want: string, have: string | null): boolean => want === ANY || want === have;

/** Index of the first cell `s` falls in, or −1 ("no cell"). */
export const cellIndexOf = (cells: readonly StrategyCell[], s: UserSegment): number => {
  const risk = s.risk ?? UNSCORED;
  for (let i = 0; i < cells.length; i++) {
    const c = cells[i] as StrategyCell;
    if (
      matches(c.tier, s.tier) &&
      matches(c.risk, risk) &&
      matches(c.reason, s.reason) &&
      matches(c.stage, s.stage)
    )
      return i;
  }
  return -1;
};

/** The campaigns the matrix names as flows: they reach only their cells' users. */
export const governedCampaigns = (m: StrategyMatrix): Set<string> =>
  new Set(m.cells.flatMap((c) => (c.action.kind === 'flow' ? [c.action.campaignId] : [])));

/** A cell in words, both languages: "高价值·高风险·价格敏感" / "high value · high risk · price-sensitive". */
export const cellWords = (c: StrategyCell): { zh: string; en: string } => {
  if (c.name !== undefined && c.name.trim() !== '') return { zh: c.name.trim(), en: c.name.trim() };
  const parts: [SegmentDimension, string][] = [
    ['tier', c.tier],
    ['risk', c.risk],
    ['reason', c.reason],
    ['stage', c.stage],
  ];
  const named = parts.filter(([, v]) => v !== ANY);
  if (named.length === 0) return { zh: '全部用户', en: 'all users' };
  return {
    zh: named.map(([d, v]) => segmentLabel('zh-CN', d, v)).join('·'),
    en: named.map(([d, v]) => segmentLabel('en', d, v)).join(' · '),
  };
};

/** Why the matrix keeps a user from a campaign, as the skip detail (both languages). */
export const verdictDetail = (
  m: StrategyMatrix,
  cell: number,
  campaignName: (id: string) => string,
  thisCampaign: string,
): string => {
  if (cell < 0)
    return `策略矩阵：无匹配单元，不属于流程「${campaignName(thisCampaign)}」 / strategy matrix: no cell, not in flow '${campaignName(thisCampaign)}'`;
  const c = m.cells[cell] as StrategyCell;
  const w = cellWords(c);
  if (c.action.kind === 'do_not_disturb')
    return `策略矩阵：${w.zh} → 勿扰 / strategy matrix: ${w.en} → do not disturb`;
  const flow = campaignName(c.action.campaignId);
  return `策略矩阵：${w.zh} → 流程「${flow}」 / strategy matrix: ${w.en} → flow '${flow}'`;
};

export interface MatrixCampaign {
  id: string;
  name: string;
  marketing: boolean;
}

/**
 * For each campaign (in the order given) and each cell index + 1 (slot 0: "no cell"), the skip
 * detail when the matrix keeps such a user out of the campaign, else null (`flowNames`: the names
 * of flows not among `campaigns`, for the details). A few strings, computed
 * once per planner pass; the pass then looks them up per member.
 *
 * - transactional campaigns: never affected;
 * - a flow of the matrix: only users whose first-matching cell points at it;
 * - a do-not-disturb user: left out of every flow, and of every other marketing campaign when
 *   `dndScope` is `marketing`;
 * - a disabled matrix: nothing.
 */
export const matrixVerdicts = (
  m: StrategyMatrix,
  campaigns: readonly MatrixCampaign[],
  flowNames: ReadonlyMap<string, string> = new Map(),
): (string | null)[][] => {
  const names = new Map([...flowNames, ...campaigns.map((c): [string, string] => [c.id, c.name])]);
  const nameOf = (id: string) => names.get(id) ?? id;
  const governed = governedCampaigns(m);
  return campaigns.map((k) => {
    const row: (string | null)[] = [];
    for (let slot = 0; slot <= m.cells.length; slot++) {
      const cell = slot - 1;
      const c = cell < 0 ? null : (m.cells[cell] as StrategyCell);
      let blocked = false;
      if (m.enabled && k.marketing) {
        if (governed.has(k.id))
          blocked = c === null || c.action.kind !== 'flow' || c.action.campaignId !== k.id;
        else blocked = c !== null && c.action.kind === 'do_not_disturb' && m.dndScope === 'marketing';
      }
      row.push(blocked ? verdictDetail(m, cell, nameOf, k.id) : null);
    }
    return row;
  });
};

/** One problem of a matrix against the workspace: a JSON-ish path and what is wrong. */
export interface MatrixProblem {
  path: string;
  message: string;
}

/** What the campaigns look like to the matrix's checks. */
export interface CampaignFacts {
  id: string;
  name: string;
  marketing: boolean;
  hasLadder: boolean;
  status: string;
}

/**
 * What the schema cannot see: tiers and reasons the scoring configuration knows, cell ids used
 * once, flows that exist, are marketing, have a ladder (when required) and are not cancelled.
 * Overlapping cells are allowed: the order decides.
 */
export const checkMatrix = (
  m: StrategyMatrix,
  known: { tiers: readonly string[]; reasons: readonly string[]; campaigns: readonly CampaignFacts[] },
): MatrixProblem[] => {
  const problems: MatrixProblem[] = [];
  const byId = new Map(known.campaigns.map((c) => [c.id, c]));
  const seen = new Map<string, number>();
  m.cells.forEach((c, i) => {
    const at = `matrix.cells[${i}]`;
    const first = seen.get(c.id);
    if (first !== undefined)
      problems.push({ path: `${at}.id`, message: `'${c.id}' is also the id of cells[${first}]` });
    else seen.set(c.id, i);
    if (c.tier !== ANY && !known.tiers.includes(c.tier))
      problems.push({
        path: `${at}.tier`,
        message: `unknown value tier '${c.tier}' (the scoring configuration has ${known.tiers.join(', ')})`,
      });
    if (c.reason !== ANY && !known.reasons.includes(c.reason))
      problems.push({
        path: `${at}.reason`,
        message: `unknown churn reason '${c.reason}' (the scoring configuration has ${known.reasons.join(', ')})`,
      });
    if (c.action.kind !== 'flow') return;
    const k = byId.get(c.action.campaignId);
    const path = `${at}.action.campaignId`;
    if (!k) problems.push({ path, message: `unknown campaign '${c.action.campaignId}'` });
    else if (!k.marketing)
      problems.push({ path, message: `campaign '${k.name}' is transactional, not a recall flow` });
    else if (m.flowsNeedLadder && !k.hasLadder)
      problems.push({
        path,
        message: `campaign '${k.name}' has no recall ladder (add one, or set flowsNeedLadder to false)`,
      });
    else if (k.status === 'cancelled') problems.push({ path, message: `campaign '${k.name}' is cancelled` });
  });
  return problems;
};

/** Cells that can never match because an earlier cell covers everything they would (a hint, not an error). */
export const shadowedCells = (cells: readonly StrategyCell[]): number[] => {
  const covers = (a: StrategyCell, b: StrategyCell) =>
    (a.tier === ANY || a.tier === b.tier) &&
    (a.risk === ANY || a.risk === b.risk) &&
    (a.reason === ANY || a.reason === b.reason) &&
    (a.stage === ANY || a.stage === b.stage);
  const out: number[] = [];
  cells.forEach((b, i) => {
    if (cells.slice(0, i).some((a) => covers(a, b))) out.push(i);
  });
  return out;
};
