import { TypeCompiler } from '@sinclair/typebox/compiler';
import { Value } from '@sinclair/typebox/value';
import { audienceMemberIds } from '../audience/saved-audiences.ts';
import { canOnCampaign, type Actor } from '../core/auth/roles.ts';
import type { Channel } from '../core/channels/channels.ts';
import type { Clock } from '../core/clock.ts';
import { estimateCost } from '../core/cost/index.ts';
import { averageValueCents, blendedOfferPlan } from '../core/cost/offer-plan.ts';
import { hasAnyOffer, memberOffer } from '../core/campaigns/variant-offer.ts';
import { issueOffer, type IssuedOffer, type Offer } from '../core/offers/index.ts';
import { err, ok } from '../core/result.ts';
import { pointerToPath } from '../core/validation/pointer-path.ts';
import { forbidden, type Outcome, type ServiceFailure } from '../core/service-failure.ts';
import {
  cellIndexOf,
  checkMatrix,
  shadowedCells,
  StrategyMatrix,
  type StrategyCell,
} from '../core/strategies/matrix.ts';
import { loadScoreConfig } from '../scores/score-config.ts';
import { listChannelQuotas } from '../storage/control/planner-settings.ts';
import type { SqlClient } from '../storage/control/sql-client.ts';
import { writeVersioned } from './versioned-write.ts';
import {
  getMatrix,
  listMatrixVersions,
  matrixCampaignFacts,
  putMatrix,
} from '../storage/control/strategy-matrix.ts';
import { orderHistories } from '../storage/warehouse/planner-inputs.ts';
import { segmentGroups } from '../storage/warehouse/user-segments.ts';
import type { WarehouseSql } from '../storage/warehouse-sql.ts';

/**
 * The strategy matrix as people change it (features.md D6): everyone reads it, admins replace it
 * (it decides who every recall flow reaches, like the planner policy), each version audited and
 * kept; a preview counts the users of each cell now and prices each flow's first step for them.
 */

export interface MatrixContext {
  control: SqlClient;
  warehouse: WarehouseSql;
  clock: Clock;
}

const matrixCheck = TypeCompiler.Compile(StrategyMatrix);

const mayConfigure = (actor: Actor): ServiceFailure | null => {
  const p = canOnCampaign(actor, 'planner.configure');
  return p.allowed
    ? null
    : forbidden(p.reason.replace('caps, quiet hours, budgets and quotas', 'the strategy matrix'));
};
const mayRead = (actor: Actor): ServiceFailure | null => {
  const p = canOnCampaign(actor, 'campaign.read');
  return p.allowed ? null : forbidden(p.reason);
};

export interface MatrixView {
  version: number;
  matrix: StrategyMatrix;
  updatedAt: number | null;
  /** Cells an earlier cell covers entirely: they can never match (a hint; the order decides). */
  shadowed: number[];
}

export const readMatrixAs = async (ctx: MatrixContext, actor: Actor): Outcome<MatrixView> => {
  const no = mayRead(actor);
  if (no) return err(no);
  const m = await getMatrix(ctx.control, actor.workspaceId);
  return ok({ ...m, shadowed: shadowedCells(m.matrix.cells) });
};

/** The schema (with defaults filled in) and the workspace's tiers, reasons and campaigns. */
const validMatrix = async (
  ctx: MatrixContext,
  workspaceId: string,
  input: unknown,
): Outcome<StrategyMatrix> => {
  const candidate = Value.Default(StrategyMatrix, Value.Clone(input));
  if (!matrixCheck.Check(candidate)) {
    const errors = [...matrixCheck.Errors(candidate)]
      .slice(0, 20)
      .map((e) => ({ path: pointerToPath(e.path, 'matrix'), message: e.message }));
    return err({ type: 'invalid', message: 'the strategy matrix is invalid', errors });
  }
  const { config } = await loadScoreConfig(ctx.control, workspaceId);
  const problems = checkMatrix(candidate, {
    tiers: [...config.rfm.tiers.map((t) => t.name), config.rfm.otherwise, config.rfm.noPurchase],
    reasons: config.churnReasons.codes,
    campaigns: await matrixCampaignFacts(ctx.control, workspaceId, null),
  });
  if (problems.length > 0)
    return err({ type: 'invalid', message: 'the strategy matrix is invalid', errors: problems });
  return ok(candidate);
};

export const updateMatrixAs = async (
  ctx: MatrixContext,
  actor: Actor,
  input: { version: number; matrix: unknown },
): Outcome<MatrixView> => {
  const no = mayConfigure(actor);
  if (no) return err(no);
  const valid = await validMatrix(ctx, actor.workspaceId, input.matrix);
  if (!valid.ok) return valid;
  const matrix = valid.value;
  const at = ctx.clock();
  const written = await writeVersioned(ctx.control, {
    put: (tx) =>
      putMatrix(tx, {
        workspaceId: actor.workspaceId,
        matrix,
        expectedVersion: input.version,
        by: actor.userId,
        at,
      }),
    audit: {
      workspaceId: actor.workspaceId,
      at,
      actorId: actor.userId,
      action: 'strategy.matrix',
      objectType: 'strategy_matrix',
      objectId: actor.workspaceId,
      details: { version: input.version + 1, matrix },
    },
    expectedVersion: input.version,
    what: 'the strategy matrix',
  });
  if (!written.ok) return written;
  return ok({ version: input.version + 1, matrix, updatedAt: at, shadowed: shadowedCells(matrix.cells) });
};

export const listMatrixVersionsAs = async (ctx: MatrixContext, actor: Actor, limit = 20) => {
  const no = mayRead(actor);
  if (no) return err(no);
  return ok(await listMatrixVersions(ctx.control, actor.workspaceId, limit));
};

export interface CellPreview {
  index: number;
  id: string;
  /** Users whose first-matching cell this is, now. */
  users: number;
  flow: {
    campaignId: string;
    name: string;
    status: string;
    /** Of the cell's users, those in the flow campaign's audience: whom the flow would address. */
    audienceUsers: number;
    /** The first step's channel (a ladder's first step, else the campaign's first channel). */
    channel: Channel;
    priceCents: number;
    /** The cost calculator over the first step for `audienceUsers` (before caps, opt-outs, reach). */
    cost: { messagesCents: number; offersCents: number; totalCents: number };
  } | null;
}

export interface MatrixPreview {
  at: number;
  totalUsers: number;
  /** Users no cell matches ("no cell"): matrix flows do not reach them. */
  noCell: number;
  cells: CellPreview[];
}

/** Offers valued per flow from up to this many of the cell's users (amounts may depend on history). */
const OFFER_SAMPLE = 500;

/**
 * How many users each cell holds now (every user with a profile, by their scores) and what each
 * flow's first step costs for those of them in its audience — for the stored matrix, or for an
 * edited one before it is saved (`matrix`, validated like a save).
 */
export const previewMatrixAs = async (
  ctx: MatrixContext,
  actor: Actor,
  input: { matrix?: unknown },
): Outcome<MatrixPreview> => {
  const no = mayRead(actor);
  if (no) return err(no);
  let matrix: StrategyMatrix;
  if (input.matrix === undefined) matrix = (await getMatrix(ctx.control, actor.workspaceId)).matrix;
  else {
    const valid = await validMatrix(ctx, actor.workspaceId, input.matrix);
    if (!valid.ok) return valid;
    matrix = valid.value;
  }
  const now = ctx.clock();
  const groups = await segmentGroups(ctx.warehouse, null);
  const counts = new Array<number>(matrix.cells.length).fill(0);
  const idsOf: string[][] = matrix.cells.map(() => []);
  let noCell = 0;
  let totalUsers = 0;
  for (const g of groups) {
    totalUsers += g.users;
    const cell = cellIndexOf(matrix.cells, g);
    if (cell < 0) noCell += g.users;
    else {
      counts[cell] = (counts[cell] ?? 0) + g.users;
      if (matrix.cells[cell]?.action.kind === 'flow') for (const id of g.ids) idsOf[cell]?.push(id);
    }
  }
  const facts = new Map(
    (await matrixCampaignFacts(ctx.control, actor.workspaceId, null)).map((f) => [f.id, f]),
  );
  const prices = new Map(
    (await listChannelQuotas(ctx.control, actor.workspaceId)).map((q) => [q.channel, q.costCents]),
  );
  const audiences = new Map<string, Set<string>>();
  const cells: CellPreview[] = [];
  for (const [index, c] of matrix.cells.entries()) {
    const users = counts[index] ?? 0;
    const f = c.action.kind === 'flow' ? facts.get(c.action.campaignId) : undefined;
    cells.push({
      index,
      id: c.id,
      users,
      flow: f ? await flowPreview(ctx, actor, c, f, idsOf[index] ?? [], { prices, audiences, now }) : null,
    });
  }
  return ok({ at: now, totalUsers, noCell, cells });
};

const flowPreview = async (
  ctx: MatrixContext,
  actor: Actor,
  c: StrategyCell,
  f: { id: string; name: string; status: string; definition: Record<string, unknown> },
  cellIds: readonly string[],
  o: { prices: ReadonlyMap<Channel, number>; audiences: Map<string, Set<string>>; now: number },
): Promise<CellPreview['flow']> => {
  const d = f.definition as {
    audienceId?: string;
    channels?: Channel[];
    ladder?: { steps: { channel: Channel }[] };
    offer?: Offer;
    holdoutShare?: number;
    variants?: { id: string; weight: number; offer?: unknown }[];
  };
  let audience = o.audiences.get(f.id);
  if (!audience) {
    const ids = d.audienceId ? await audienceMemberIds(ctx, actor.workspaceId, d.audienceId, o.now) : null;
    audience = new Set(ids ?? []);
    o.audiences.set(f.id, audience);
  }
  const reached = cellIds.filter((id) => audience.has(id));
  const channel = (d.ladder?.steps[0]?.channel ?? d.channels?.[0] ?? 'push') as Channel;
  const priceCents = o.prices.get(channel) ?? 0;
  let offer: { lines: { offer: Offer; issued: number; totalValueCents: number }[] } | null = null;
  if (hasAnyOffer(d)) {
    // Each sampled user's own offer: their A/B variant's in an offer test, else the campaign's.
    const sample = reached.slice(0, OFFER_SAMPLE);
    const history = await orderHistories(ctx.warehouse, sample, o.now);
    const byOffer = new Map<Offer, IssuedOffer[]>();
    for (const u of sample) {
      const own = memberOffer(f.id, d, u);
      if (!own) continue;
      const r = issueOffer(own, history.get(u) ?? {}, {
        campaignId: f.id,
        userId: u,
        now: o.now,
        secret: 'preview-not-a-real-code',
      });
      if (r.ok) byOffer.set(own, [...(byOffer.get(own) ?? []), r.value]);
    }
    // The sample's offers scaled to the cell's reached users.
    const scale = sample.length === 0 ? 0 : reached.length / sample.length;
    offer = {
      lines: [...byOffer].map(([own, list]) => ({
        offer: own,
        issued: Math.round(list.length * scale),
        totalValueCents: averageValueCents(list) * Math.round(list.length * scale),
      })),
    };
  }
  const cost = estimateCost({
    channels: [{ channel, recipients: reached.length, priceCents }],
    users: reached.length,
    ...(offer && offer.lines.length > 0 ? { offer: blendedOfferPlan(offer.lines) } : {}),
    conversionRate: 0,
    baselineConversionRate: 0,
    averageOrderCents: 0,
    marginRate: 0,
  });
  return {
    campaignId: f.id,
    name: f.name,
    status: f.status,
    audienceUsers: reached.length,
    channel,
    priceCents,
    cost: {
      messagesCents: cost.direct.messages,
      offersCents: cost.direct.offers,
      totalCents: cost.direct.messages + cost.direct.offers,
    },
  };
};
