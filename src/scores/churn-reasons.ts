import { createReadStream } from 'node:fs';
import type { Actor } from '../core/auth/roles.ts';
import type { FieldError } from '../core/events/field-error.ts';
import {
  checkReason,
  reasonCsvHeader,
  reasonFromCsv,
  type ReasonInput,
  type ReasonRecord,
} from '../core/scores/churn-reasons.ts';
import { err, ok } from '../core/result.ts';
import { notFound, type Outcome } from '../core/service-failure.ts';
import { CsvParser, type CsvRow } from '../core/csv/csv-parser.ts';
import { appendAudit } from '../storage/control/audit-log.ts';
import {
  insertReasons,
  knownUsers,
  reasonsOfUser,
  type StoredReason,
} from '../storage/warehouse/churn-reasons.ts';
import { refusal, type ScoresContext } from './context.ts';
import { loadScoreConfig } from './score-config.ts';

/** Churn reasons (features.md B8): recorded one at a time over the API, or imported from a CSV file. */

export const recordReason = async (
  ctx: ScoresContext,
  actor: Actor,
  userId: string,
  input: Omit<ReasonInput, 'userId'>,
): Outcome<StoredReason> => {
  const no = refusal(actor, 'churn_reason.record');
  if (no) return err(no);
  const { config } = await loadScoreConfig(ctx.control, actor.workspaceId);
  const now = ctx.clock();
  const checked = checkReason({ ...input, userId }, config.churnReasons.codes, now);
  if (!checked.ok) {
    const path = (f: string) => (f === 'answered_at' ? 'answeredAt' : f === 'user_id' ? 'params.id' : f);
    return err({
      type: 'invalid',
      message: 'the churn reason is invalid',
      errors: checked.error.map((e) => ({ path: path(e.field), message: e.reason })),
    });
  }
  if (!(await knownUsers(ctx.warehouse, [checked.value.userId])).has(checked.value.userId))
    return err(notFound(`user '${checked.value.userId}'`));
  const [stored] = await insertReasons(ctx.warehouse, [checked.value], {
    recordedAt: now,
    recordedBy: actor.name,
    source: 'api',
  });
  if (!stored) throw new Error('churn reason vanished after insert');
  await appendAudit(ctx.control, {
    workspaceId: actor.workspaceId,
    at: now,
    actorId: actor.userId,
    action: 'churn_reason.record',
    objectType: 'user',
    objectId: stored.userId,
    details: { id: stored.id, reason: stored.reason },
  });
  return ok(stored);
};

export const listReasons = async (
  ctx: ScoresContext,
  actor: Actor,
  userId: string,
): Outcome<StoredReason[]> => {
  const no = refusal(actor, 'scores.read');
  if (no) return err(no);
  return ok(await reasonsOfUser(ctx.warehouse, userId));
};

export interface ReasonImportReport {
  /** Data lines read (the header and blank lines not counted). */
  records: number;
  accepted: number;
  rejected: number;
  /** `index` is the line number in the file. */
  errors: FieldError[];
  ms: number;
}

export class ReasonImportError extends Error {}

/**
 * Imports a CSV of survey answers (`user_id,reason,note,answered_at`; `note` and `answered_at`
 * optional). Each bad line is reported with its line number, field and reason, and skipped; the
 * valid lines are stored in one transaction. A file whose header is unusable is refused whole.
 */
export const importReasonsCsv = async (
  ctx: ScoresContext,
  path: string,
  options: { workspaceId?: string; recordedBy: string },
): Promise<ReasonImportReport> => {
  const started = performance.now();
  const workspaceId = options.workspaceId ?? 'default';
  const { config } = await loadScoreConfig(ctx.control, workspaceId);
  const now = ctx.clock();
  const rows: CsvRow[] = [];
  const parser = new CsvParser();
  for await (const chunk of createReadStream(path, { encoding: 'utf8' })) parser.push(chunk as string, rows);
  parser.end(rows);
  const [head, ...data] = rows;
  if (head === undefined) throw new ReasonImportError(`${path} is empty; expected a header line`);
  const header = reasonCsvHeader(head);
  if (!header.ok) throw new ReasonImportError(header.error);
  const errors: FieldError[] = [];
  const good: { line: number; record: ReasonRecord }[] = [];
  for (const row of data) {
    const r = reasonFromCsv(row, header.value, config.churnReasons.codes, now);
    if (r.ok) good.push({ line: row.line, record: r.value });
    else errors.push(...r.error);
  }
  const known = await knownUsers(
    ctx.warehouse,
    good.map((g) => g.record.userId),
  );
  const stored: ReasonRecord[] = [];
  for (const g of good) {
    if (known.has(g.record.userId)) stored.push(g.record);
    else
      errors.push({
        index: g.line,
        field: 'user_id',
        reason: `unknown user '${g.record.userId.slice(0, 60)}'`,
      });
  }
  errors.sort((a, b) => a.index - b.index);
  await insertReasons(ctx.warehouse, stored, {
    recordedAt: now,
    recordedBy: options.recordedBy,
    source: 'import',
  });
  await appendAudit(ctx.control, {
    workspaceId,
    at: now,
    actorId: null,
    action: 'churn_reason.import',
    objectType: 'churn_reasons',
    objectId: path,
    details: { records: data.length, accepted: stored.length, rejected: data.length - stored.length },
  });
  return {
    records: data.length,
    accepted: stored.length,
    rejected: data.length - stored.length,
    errors,
    ms: performance.now() - started,
  };
};
