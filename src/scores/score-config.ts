import type { Actor } from '../core/auth/roles.ts';
import { DEFAULT_SCORE_CONFIG, validateScoreConfig, type ScoreConfig } from '../core/scores/config.ts';
import { err, ok } from '../core/result.ts';
import type { Outcome } from '../core/service-failure.ts';
import { appendAudit } from '../storage/control/audit-log.ts';
import { getScoreConfigRow, putScoreConfigRow } from '../storage/control/score-configs.ts';
import type { SqlClient } from '../storage/control/sql-client.ts';
import { refusal, type ScoresContext } from './context.ts';

/** The configuration in force for a workspace: the stored one, or the defaults (version 0). */
export interface EffectiveScoreConfig {
  config: ScoreConfig;
  version: number;
  updatedAt: number | null;
  updatedBy: number | null;
  isDefault: boolean;
}

/**
 * Reads the workspace's configuration. A stored document that no longer validates (written by
 * an older release) is an operator problem, reported with its paths rather than scored wrongly.
 */
export const loadScoreConfig = async (db: SqlClient, workspaceId: string): Promise<EffectiveScoreConfig> => {
  const row = await getScoreConfigRow(db, workspaceId);
  if (row === null)
    return { config: DEFAULT_SCORE_CONFIG, version: 0, updatedAt: null, updatedBy: null, isDefault: true };
  const valid = validateScoreConfig(row.config);
  if (!valid.ok) {
    const problems = valid.error.map((e) => `${e.path}: ${e.message}`).join('; ');
    throw new Error(`the stored scoring configuration of '${workspaceId}' is invalid: ${problems}`);
  }
  return {
    config: valid.value,
    version: row.version,
    updatedAt: row.updatedAt,
    updatedBy: row.updatedBy,
    isDefault: false,
  };
};

export const getScoreConfig = async (ctx: ScoresContext, actor: Actor): Outcome<EffectiveScoreConfig> => {
  const no = refusal(actor, 'scores.read');
  if (no) return err(no);
  return ok(await loadScoreConfig(ctx.control, actor.workspaceId));
};

/**
 * Replaces the whole configuration if `version` is still the current one (0 while the defaults
 * are in force). The change is audited; scores follow at the next computation.
 */
export const putScoreConfig = async (
  ctx: ScoresContext,
  actor: Actor | null,
  input: { workspaceId?: string; version: number; config: unknown },
): Outcome<EffectiveScoreConfig> => {
  if (actor !== null) {
    const no = refusal(actor, 'scores.configure');
    if (no) return err(no);
  }
  const workspaceId = actor?.workspaceId ?? input.workspaceId ?? 'default';
  const valid = validateScoreConfig(input.config);
  if (!valid.ok)
    return err({ type: 'invalid', message: 'the scoring configuration is invalid', errors: valid.error });
  const at = ctx.clock();
  const written = await ctx.control.transaction(async (tx) => {
    const done = await putScoreConfigRow(tx, {
      workspaceId,
      config: valid.value,
      expectedVersion: input.version,
      at,
      by: actor?.userId ?? null,
    });
    if (!done) return false;
    await appendAudit(tx, {
      workspaceId,
      at,
      actorId: actor?.userId ?? null,
      action: 'scores.configure',
      objectType: 'score_config',
      objectId: workspaceId,
      details: { fromVersion: input.version, config: valid.value },
    });
    return true;
  });
  if (!written) {
    const current = await loadScoreConfig(ctx.control, workspaceId);
    return err({
      type: 'conflict',
      reason: `the scoring configuration is at version ${current.version}, not ${input.version}; reload and edit again`,
    });
  }
  return ok(await loadScoreConfig(ctx.control, workspaceId));
};
