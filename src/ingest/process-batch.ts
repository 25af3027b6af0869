import { randomUUID } from 'node:crypto';
import type { FieldError } from '../core/events/field-error.ts';
import { normaliseMessage, type NormaliseContext } from '../core/events/normalize.ts';
import type { EventRow, IdentifyRow } from '../core/events/rows.ts';
import type { Rejection } from '../storage/warehouse/warehouse.ts';

export interface ProcessedBatch {
  events: EventRow[];
  identifies: IdentifyRow[];
  /** Each event's index in the batch (for errors found later, at commit). */
  eventIndexes: number[];
  identifyIndexes: number[];
  errors: FieldError[];
  rejections: Rejection[];
}

const MAX_RAW_KEPT = 4096;

/** What the caller knows about a batch; records without a `messageId` get a random UUID unless told otherwise. */
export type BatchContext = Omit<NormaliseContext, 'newMessageId'> &
  Partial<Pick<NormaliseContext, 'newMessageId'>>;

/** Splits a batch into valid rows and precise errors; one bad record never sinks the others. */
export const processBatch = (messages: readonly unknown[], batch: BatchContext): ProcessedBatch => {
  const ctx: NormaliseContext = { ...batch, newMessageId: batch.newMessageId ?? randomUUID };
  const out: ProcessedBatch = {
    events: [],
    identifies: [],
    eventIndexes: [],
    identifyIndexes: [],
    errors: [],
    rejections: [],
  };
  messages.forEach((raw, index) => {
    const r = normaliseMessage(raw, index, ctx);
    if (r.ok) {
      if (r.value.kind === 'track') {
        out.events.push(r.value.row);
        out.eventIndexes.push(index);
      } else {
        out.identifies.push(r.value.row);
        out.identifyIndexes.push(index);
      }
      return;
    }
    out.errors.push(...r.error);
    const text = JSON.stringify(raw) ?? null;
    for (const e of r.error)
      out.rejections.push({ ...e, raw: text === null ? null : text.slice(0, MAX_RAW_KEPT) });
  });
  return out;
};
