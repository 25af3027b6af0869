import { isoTimestamp } from './iso.ts';
import type { DemoUser } from './generate.ts';

/**
 * Text forms of generated users for the bulk importer: one Segment message per NDJSON line, or
 * one CSV record per message (RFC 4180 quoting, LF line ends). Identifiers, event names, product
 * ids and categories come from fixed ASCII alphabets and never need quoting; properties and traits
 * are JSON object texts and always do.
 *
 * Lines are pushed onto the caller's array (joined once per output chunk): appending them to one
 * string per user builds deep ropes that cost more to flatten than to format.
 */

export const DEMO_CSV_HEADER =
  'type,message_id,user_id,anonymous_id,event,timestamp,amount,currency,product_id,category,order_id,platform,properties,traits\n';

/** A quoted CSV field (quotes doubled); JSON object texts always contain quotes, so always quote. */
export const csvQuoted = (text: string): string => `"${text.split('"').join('""')}"`;

/** Pushes the user's identify, then their events, as NDJSON lines; returns the characters added. */
export const ndjsonLines = (user: DemoUser, out: string[]): number => {
  const id = user.identify;
  let line =
    `{"type":"identify","messageId":"${id.messageId}","userId":"${id.userId}",` +
    `"timestamp":"${isoTimestamp(id.ts)}","traits":${JSON.stringify(id.traits)}}\n`;
  out.push(line);
  let chars = line.length;
  for (const e of user.events) {
    // `properties` already holds every property (the typed columns are copies of some of them).
    line =
      `{"type":"track","messageId":"${e.messageId}","userId":"${e.userId}","event":"${e.event}",` +
      `"timestamp":"${isoTimestamp(e.ts)}","properties":${e.properties}}\n`;
    out.push(line);
    chars += line.length;
  }
  return chars;
};

/** Pushes the user's identify, then their events, as CSV records under DEMO_CSV_HEADER. */
export const csvLines = (user: DemoUser, out: string[]): number => {
  const id = user.identify;
  let line = `identify,${id.messageId},${id.userId},,,${isoTimestamp(id.ts)},,,,,,,,${csvQuoted(JSON.stringify(id.traits))}\n`;
  out.push(line);
  let chars = line.length;
  for (const e of user.events) {
    line =
      `track,${e.messageId},${e.userId},${e.anonymousId ?? ''},${e.event},${isoTimestamp(e.ts)},` +
      `${e.amount ?? ''},${e.currency ?? ''},${e.productId ?? ''},${e.category ?? ''},` +
      `${e.orderId ?? ''},${e.platform ?? ''},${csvQuoted(e.properties)},\n`;
    out.push(line);
    chars += line.length;
  }
  return chars;
};
