import type { EventRow, IngestSource } from '../../core/events/rows.ts';
import type { NormalisedBatch } from './normalise-stage.ts';

/**
 * Strings of one column laid end to end: `text` holds the non-null values in order, `ends[i]`
 * is where value i ends in it, `nulls[i]` is 1 for a null (absent when the column has none).
 */
export interface PackedStrings {
  text: string;
  ends: Int32Array;
  nulls: Uint8Array | undefined;
}

/** A batch's events as columns, the rest of the batch as it is. */
export interface PackedBatch {
  batch: Omit<NormalisedBatch, 'events'>;
  count: number;
  messageId: PackedStrings;
  userId: PackedStrings;
  anonymousId: PackedStrings;
  event: PackedStrings;
  currency: PackedStrings;
  productId: PackedStrings;
  category: PackedStrings;
  orderId: PackedStrings;
  platform: PackedStrings;
  properties: PackedStrings;
  source: PackedStrings;
  /** ts, receivedAt and amount of each event; a null amount is NaN (a stored amount is finite). */
  numbers: Float64Array;
}

/*
 * Why columns: handing a batch of EventRow objects to another thread clones every object and
 * every key of it on both sides (~14 keys a row), which cost the importing thread about as much
 * as the commit it was freed to do. A packed column crosses as one string and one transferred
 * buffer, and the rows rebuilt from it are the same values (a string sliced back out is equal
 * to the one packed; a number in a Float64Array is the same double).
 */

const packStrings = (rows: readonly EventRow[], get: (r: EventRow) => string | null): PackedStrings => {
  const n = rows.length;
  const ends = new Int32Array(n);
  const parts: string[] = [];
  let nulls: Uint8Array | undefined;
  let at = 0;
  for (let i = 0; i < n; i++) {
    const v = get(rows[i] as EventRow);
    if (v === null) (nulls ??= new Uint8Array(n))[i] = 1;
    else {
      parts.push(v);
      at += v.length;
    }
    ends[i] = at;
  }
  return { text: parts.join(''), ends, nulls };
};

/** The batch with its events in columns, and the buffers to transfer (not copy) with it. */
export const packBatch = (b: NormalisedBatch): { packed: PackedBatch; transfer: ArrayBuffer[] } => {
  const rows = b.events;
  const numbers = new Float64Array(rows.length * 3);
  rows.forEach((r, i) => {
    numbers[i * 3] = r.ts;
    numbers[i * 3 + 1] = r.receivedAt;
    numbers[i * 3 + 2] = r.amount ?? NaN;
  });
  const { events: _events, ...rest } = b;
  const packed: PackedBatch = {
    batch: rest,
    count: rows.length,
    messageId: packStrings(rows, (r) => r.messageId),
    userId: packStrings(rows, (r) => r.userId),
    anonymousId: packStrings(rows, (r) => r.anonymousId),
    event: packStrings(rows, (r) => r.event),
    currency: packStrings(rows, (r) => r.currency),
    productId: packStrings(rows, (r) => r.productId),
    category: packStrings(rows, (r) => r.category),
    orderId: packStrings(rows, (r) => r.orderId),
    platform: packStrings(rows, (r) => r.platform),
    properties: packStrings(rows, (r) => r.properties),
    source: packStrings(rows, (r) => r.source),
    numbers,
  };
  const transfer: ArrayBuffer[] = [numbers.buffer];
  for (const c of [
    packed.messageId,
    packed.userId,
    packed.anonymousId,
    packed.event,
    packed.currency,
    packed.productId,
    packed.category,
    packed.orderId,
    packed.platform,
    packed.properties,
    packed.source,
  ]) {
    transfer.push(c.ends.buffer as ArrayBuffer);
    if (c.nulls !== undefined) transfer.push(c.nulls.buffer as ArrayBuffer);
  }
  return { packed, transfer };
};

/** Reads packed strings back in order, one value per call. */
const reader = (c: PackedStrings): ((i: number) => string | null) => {
  let start = 0;
  return (i) => {
    const end = c.ends[i] as number;
    if (c.nulls !== undefined && c.nulls[i] === 1) return null;
    const v = c.text.slice(start, end);
    start = end;
    return v;
  };
};

/** The batch `packBatch` was given, rebuilt: the same rows with the same values in the same order. */
export const unpackBatch = (p: PackedBatch): NormalisedBatch => {
  const messageId = reader(p.messageId);
  const userId = reader(p.userId);
  const anonymousId = reader(p.anonymousId);
  const event = reader(p.event);
  const currency = reader(p.currency);
  const productId = reader(p.productId);
  const category = reader(p.category);
  const orderId = reader(p.orderId);
  const platform = reader(p.platform);
  const properties = reader(p.properties);
  const source = reader(p.source);
  const n = p.numbers;
  const events: EventRow[] = new Array<EventRow>(p.count);
  for (let i = 0; i < p.count; i++) {
    const amount = n[i * 3 + 2] as number;
    events[i] = {
      messageId: messageId(i) as string,
      userId: userId(i) as string,
      anonymousId: anonymousId(i),
      event: event(i) as string,
      ts: n[i * 3] as number,
      receivedAt: n[i * 3 + 1] as number,
      amount: Number.isNaN(amount) ? null : amount,
      currency: currency(i),
      productId: productId(i),
      category: category(i),
      orderId: orderId(i),
      platform: platform(i),
      properties: properties(i) as string,
      source: source(i) as IngestSource,
    };
  }
  return { ...p.batch, events };
};
