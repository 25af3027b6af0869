import { createHash, randomUUID } from 'node:crypto';
import type { FieldError } from '../../core/events/field-error.ts';
import { normaliseMessage, type NormaliseContext } from '../../core/events/normalize.ts';
import type { EventRow, IdentifyRow } from '../../core/events/rows.ts';
import type { Rejection } from '../../storage/warehouse/warehouse.ts';
import type { ImportFormat } from './import-report.ts';
import { openSource, type RecordSource, type SourceRecord } from './sources.ts';

/** Longest raw text kept with a rejection (as for HTTP). */
const MAX_RAW_KEPT = 4096;
/** Records gathered before a batch is handed on (fewer means more hand-overs, more means more memory). */
const BATCH_RECORDS = 2048;

export interface OpenedFile {
  kind: 'opened';
  format: ImportFormat;
  totalBytes: number;
}

/** A stretch of the file, validated: what to store and what was rejected. Pure data (crosses threads). */
export interface NormalisedBatch {
  kind: 'batch';
  /** Records read in this stretch. */
  records: number;
  events: EventRow[];
  identifies: IdentifyRow[];
  /** Each event's line (row for Parquet), for an error found only at commit. */
  eventLines: number[];
  identifyLines: number[];
  /** Records with at least one error. */
  rejected: number;
  /** One entry per error, with the record's raw text. */
  rejections: Rejection[];
  /** File bytes consumed up to the end of this stretch. */
  bytesRead: number;
}

export type StageItem = OpenedFile | NormalisedBatch;

/**
 * A record without a messageId gets one derived from its line number and text, so importing
 * the same file again is still idempotent.
 */
const derivedMessageId = (record: SourceRecord, source: RecordSource): string =>
  `import-${createHash('sha256')
    .update(`${record.index}\n${source.rawText(record)}`)
    .digest('base64url')
    .slice(0, 32)}`;

const newBatch = (): NormalisedBatch => ({
  kind: 'batch',
  records: 0,
  events: [],
  identifies: [],
  eventLines: [],
  identifyLines: [],
  rejected: 0,
  rejections: [],
  bytesRead: 0,
});

/**
 * Reads a file and validates every record exactly as over HTTP (`normaliseMessage`, source
 * `import`, `receivedAt` from `clock`). First yields what was opened, then batches in file order.
 * Throws `ImportFileError` when the file cannot be read. Holds no state about other records:
 * duplicates are the consumer's business.
 */
export async function* normaliseFile(options: {
  path: string;
  format?: ImportFormat | undefined;
  clock: () => number;
}): AsyncGenerator<StageItem, void, undefined> {
  const source = await openSource(options.path, options.format);
  try {
    yield { kind: 'opened', format: source.format, totalBytes: source.totalBytes };
    let batch = newBatch();
    const reject = (record: SourceRecord, errors: readonly FieldError[]): void => {
      batch.rejected++;
      const raw = source.rawText(record);
      const kept = raw.length > MAX_RAW_KEPT ? raw.slice(0, MAX_RAW_KEPT) : raw;
      for (const e of errors)
        batch.rejections.push({ index: e.index, field: e.field, reason: e.reason, raw: kept });
    };
    for await (const piece of source.batches()) {
      // Every record gets a derived id below; `randomUUID` is the same fallback as over HTTP.
      const ctx: NormaliseContext = {
        receivedAt: options.clock(),
        source: 'import',
        newMessageId: randomUUID,
      };
      for (const record of piece.records) {
        batch.records++;
        const message = record.message;
        if (message === undefined) {
          reject(record, record.errors ?? []);
          continue;
        }
        if (message['messageId'] === undefined) message['messageId'] = derivedMessageId(record, source);
        const r = normaliseMessage(message, record.index, ctx);
        if (!r.ok) {
          const errors: FieldError[] = [];
          for (const e of r.error) {
            errors.push({ index: e.index, field: source.fieldName(record, e.field), reason: e.reason });
          }
          reject(record, errors);
        } else if (r.value.kind === 'track') {
          batch.events.push(r.value.row);
          batch.eventLines.push(record.index);
        } else {
          batch.identifies.push(r.value.row);
          batch.identifyLines.push(record.index);
        }
      }
      batch.bytesRead = piece.bytesRead;
      if (batch.records >= BATCH_RECORDS) {
        yield batch;
        batch = newBatch();
      }
    }
    yield batch;
  } finally {
    await source.close();
  }
}
