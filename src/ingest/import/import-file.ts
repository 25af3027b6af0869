import { stat } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import type { EventRow, IdentifyRow } from '../../core/events/rows.ts';
import type { WarehouseStore } from '../../storage/warehouse-sql.ts';
import {
  openMessageIdLookup,
  type MessageIdLookup,
  type MessageTable,
} from '../../storage/warehouse/existing-message-ids.ts';
import {
  commitIsolating,
  type CommitBatch,
  type IsolatedOutcome,
} from '../../storage/warehouse/isolating-commit.ts';
import { Warehouse, type Rejection } from '../../storage/warehouse/warehouse.ts';
import { FingerprintSet } from './fingerprint-set.ts';
import { normaliseFile, type StageItem } from './normalise-stage.ts';
import { ImportFileError, type ImportFormat, type ImportReport } from './import-report.ts';
import { normaliseFileInWorker } from './worker-stage.ts';

export { ImportFileError, type ImportFormat, type ImportReport } from './import-report.ts';

export interface ImportProgress {
  /** File bytes consumed so far (compressed bytes for .gz). */
  bytesRead: number;
  totalBytes: number;
  /** Records read so far (valid or not). */
  records: number;
}

export interface ImportOptions {
  path: string;
  /** Guessed from the extension when absent: .csv, .ndjson / .jsonl, .parquet (+ .gz for text). */
  format?: ImportFormat;
  /** Records per transaction (default 100 000). */
  chunkSize?: number;
  /** Clock for `received_at` and the future-time check. */
  now?: () => number;
  onProgress?: (p: ImportProgress) => void;
  /** How many errors the report lists (default 100); every one is stored in `ingest_rejections`. */
  maxErrorsReported?: number;
  /**
   * Read and validate on a worker thread while this one deduplicates and commits. Default: for
   * files of 8 MiB and more on machines with 4 cores or more (starting it costs ~0.3 s).
   */
  worker?: boolean;
}

const DEFAULT_CHUNK = 100_000;
const DEFAULT_MAX_ERRORS = 100;
const WORKER_MIN_BYTES = 8 * 2 ** 20;
/**
 * With two cores the worker only competes with DuckDB's commit threads (measured: no gain for
 * CSV, 20 % slower for NDJSON); it pays off when reading, committing and DuckDB each get a core.
 */
const WORKER_MIN_CORES = 4;
/** Chunks waiting for their commit while reading goes on. */
const MAX_QUEUED = 1;

interface Chunk {
  receivedAt: number;
  events: EventRow[];
  identifies: IdentifyRow[];
  /** Rows whose id's fingerprint was seen before: resolved exactly when the chunk is stored. */
  eventSuspects: EventRow[];
  identifySuspects: IdentifyRow[];
  /** The line of each row of the four lists above, in the same order. */
  eventLines: number[];
  identifyLines: number[];
  eventSuspectLines: number[];
  identifySuspectLines: number[];
  rejections: Rejection[];
  size: number;
}

const newChunk = (receivedAt: number): Chunk => ({
  receivedAt,
  events: [],
  identifies: [],
  eventSuspects: [],
  identifySuspects: [],
  eventLines: [],
  identifyLines: [],
  eventSuspectLines: [],
  identifySuspectLines: [],
  rejections: [],
  size: 0,
});

/** The line a row came from (searched only when the warehouse refused the row: rare). */
const lineOf = <R>(row: R, lists: readonly (readonly [readonly R[], readonly number[]])[]): number => {
  for (const [rows, lines] of lists) {
    const i = rows.indexOf(row);
    if (i !== -1) return lines[i] ?? 0;
  }
  return 0;
};

/**
 * Drops the rows already stored or repeated: `rows` have ids never seen before in this import
 * (per their fingerprint); `suspects` might repeat an earlier row of this chunk, a row of an
 * earlier (committed) chunk, or be a fingerprint collision. Only when the table held rows before
 * the import (`checkAll`) is every id looked up; otherwise only the suspects are.
 */
const dropDuplicates = async <R extends { messageId: string }>(
  lookup: MessageIdLookup,
  table: MessageTable,
  rows: R[],
  suspects: R[],
  checkAll: boolean,
): Promise<R[]> => {
  const probe: string[] = checkAll ? rows.map((r) => r.messageId) : [];
  const kept: R[] = [];
  if (suspects.length > 0) {
    const inChunk = new Set(probe.length > 0 ? probe : rows.map((r) => r.messageId));
    for (const s of suspects) {
      if (inChunk.has(s.messageId)) continue;
      inChunk.add(s.messageId);
      kept.push(s);
      probe.push(s.messageId);
    }
  }
  const stored = await lookup.existing(table, probe);
  const fresh = stored.size === 0 ? rows : rows.filter((r) => !stored.has(r.messageId));
  for (const s of kept) if (!stored.has(s.messageId)) fresh.push(s);
  return fresh;
};

/**
 * How a chunk is committed on this warehouse. DuckDB commits it in one transaction and, when a
 * record's data makes the transaction fail, bisects to find that record (isolating-commit.ts).
 * ClickHouse's commit validates every record before inserting and refuses bad ones on their
 * own, so one commit says all; a failure there is the store's, never a record's, and fails the
 * import (a rerun completes it: its ids are looked up first and the inserts carry dedup tokens).
 */
const chunkCommitter = (warehouse: WarehouseStore): ((batch: CommitBatch) => Promise<IsolatedOutcome>) =>
  warehouse instanceof Warehouse
    ? (batch) => commitIsolating(warehouse, batch)
    : async (batch) => {
        const r = await warehouse.commit(batch);
        return {
          refused: r.refused.map((x) => ({ kind: x.kind, at: x.at, reason: x.reason, field: x.field })),
          unavailable: null,
          commits: 1,
        };
      };

/**
 * Imports a CSV, NDJSON or Parquet file (format in `docs/import.md`). Every record is validated
 * exactly as over HTTP (`normaliseMessage`); valid ones are committed in transactions of about
 * `chunkSize` records together with the rejections of that stretch (`ingest_rejections`, source
 * `import`, with the raw text). One bad record never affects another.
 *
 * Duplicates are stored once: a messageId already in `events` (tracks) or `profile_history`
 * (identifies), or met earlier in the file. Ids of this import are remembered as 64-bit
 * fingerprints (8 bytes each, no 2^24 limit as for a `Set`); a fingerprint hit is confirmed
 * exactly. A table that held rows at the start is checked with one semi-join per chunk; into
 * an empty one no query is needed. While a chunk is checked and committed the next is read,
 * and for large files reading and validating run on a worker thread.
 *
 * A file that cannot be read or has no usable header throws `ImportFileError`; when reading
 * fails part way through, its `partial` report says what was stored before.
 *
 * Either engine: on ClickHouse the stored ids are looked up with bound id lists and each chunk
 * is one commit (`chunkCommitter`); the report, the validation and the rows stored are the same,
 * but for what ClickHouse cannot store yet (an alias), refused by its line like a bad record.
 */
export const importFile = async (
  warehouse: WarehouseStore,
  options: ImportOptions,
): Promise<ImportReport> => {
  const started = performance.now();
  const now = options.now ?? Date.now;
  const useWorker =
    options.worker ??
    (availableParallelism() >= WORKER_MIN_CORES &&
      (await stat(options.path).then(
        (s) => s.size >= WORKER_MIN_BYTES,
        () => false,
      )));
  const stage: AsyncGenerator<StageItem, void, undefined> = (
    useWorker ? normaliseFileInWorker : normaliseFile
  )({ path: options.path, format: options.format, clock: now });
  try {
    return await consume(warehouse, stage, options, started);
  } finally {
    // Stops reading (and the worker) whatever happened.
    await stage.return();
  }
};

const consume = async (
  warehouse: WarehouseStore,
  stage: AsyncGenerator<StageItem, void, undefined>,
  options: ImportOptions,
  started: number,
): Promise<ImportReport> => {
  const now = options.now ?? Date.now;
  const chunkSize = Math.max(1, options.chunkSize ?? DEFAULT_CHUNK);
  const maxErrors = options.maxErrorsReported ?? DEFAULT_MAX_ERRORS;
  const first = await stage.next();
  if (first.done === true || first.value.kind !== 'opened')
    throw new Error('import: the file was not opened');
  const { format, totalBytes } = first.value;

  const report: ImportReport = {
    format,
    records: 0,
    accepted: 0,
    duplicates: 0,
    rejected: 0,
    errors: [],
    ms: 0,
  };
  const commitChunk = chunkCommitter(warehouse);
  const lookup = await openMessageIdLookup(warehouse);
  // The chunk being checked and committed while the next one is read.
  let tail: Promise<void> = Promise.resolve();
  try {
    const checkEvents = (await lookup.count('events')) > 0;
    const checkHistory = (await lookup.count('profile_history')) > 0;
    const seenEvents = new FingerprintSet();
    const seenIdentifies = new FingerprintSet();

    const store = async (c: Chunk): Promise<void> => {
      const events = await dropDuplicates(lookup, 'events', c.events, c.eventSuspects, checkEvents);
      const identifies = await dropDuplicates(
        lookup,
        'profile_history',
        c.identifies,
        c.identifySuspects,
        checkHistory,
      );
      // One record the warehouse refuses is isolated and reported with its line; the rest is stored.
      const outcome = await commitChunk({
        events,
        identifies,
        rejections: c.rejections,
        rejectedAt: c.receivedAt,
        rejectionSource: 'import',
      });
      if (outcome.unavailable !== null) throw outcome.unavailable.error;
      const refused: Rejection[] = [];
      for (const r of outcome.refused) {
        if (r.kind === 'rejection') continue;
        const index =
          r.kind === 'event'
            ? lineOf(events[r.at], [
                [c.events, c.eventLines],
                [c.eventSuspects, c.eventSuspectLines],
              ])
            : lineOf(identifies[r.at], [
                [c.identifies, c.identifyLines],
                [c.identifySuspects, c.identifySuspectLines],
              ]);
        refused.push({ index, field: r.field ?? '(record)', reason: r.reason, raw: null });
      }
      refused.sort((a, b) => a.index - b.index);
      const offered =
        c.events.length + c.eventSuspects.length + c.identifies.length + c.identifySuspects.length;
      const stored = events.length + identifies.length - refused.length;
      report.accepted += stored;
      report.duplicates += offered - events.length - identifies.length;
      report.rejected += refused.length;
      for (const r of refused) {
        if (report.errors.length < maxErrors)
          report.errors.push({ index: r.index, field: r.field, reason: r.reason });
      }
      if (refused.length > 0) {
        await warehouse.commit({
          events: [],
          identifies: [],
          rejections: refused,
          rejectedAt: c.receivedAt,
          rejectionSource: 'import',
        });
      }
    };

    let chunk = newChunk(now());
    // Stored strictly in order (a suspect is resolved against the chunks before it), each chunk
    // after the previous one; reading goes on meanwhile until MAX_QUEUED chunks wait.
    const queued: Promise<void>[] = [];
    const submit = async (): Promise<void> => {
      const c = chunk;
      chunk = newChunk(now());
      if (c.size > 0) {
        tail = tail.then(() => store(c));
        // Awaited below or at the end; until then a failure must not count as unhandled.
        tail.catch(() => undefined);
        queued.push(tail);
      }
      while (queued.length > MAX_QUEUED) await queued.shift();
    };

    try {
      for (;;) {
        const next = await stage.next();
        if (next.done === true) break;
        const b = next.value;
        if (b.kind !== 'batch') continue;
        report.records += b.records;
        report.rejected += b.rejected;
        for (const r of b.rejections) {
          if (report.errors.length < maxErrors)
            report.errors.push({ index: r.index, field: r.field, reason: r.reason });
          chunk.rejections.push(r);
        }
        b.events.forEach((row, i) => {
          const line = b.eventLines[i] ?? 0;
          if (seenEvents.add(row.messageId)) {
            chunk.eventSuspects.push(row);
            chunk.eventSuspectLines.push(line);
          } else {
            chunk.events.push(row);
            chunk.eventLines.push(line);
          }
        });
        b.identifies.forEach((row, i) => {
          const line = b.identifyLines[i] ?? 0;
          if (seenIdentifies.add(row.messageId)) {
            chunk.identifySuspects.push(row);
            chunk.identifySuspectLines.push(line);
          } else {
            chunk.identifies.push(row);
            chunk.identifyLines.push(line);
          }
        });
        chunk.size += b.events.length + b.identifies.length + b.rejected;
        if (chunk.size >= chunkSize) await submit();
        options.onProgress?.({ bytesRead: b.bytesRead, totalBytes, records: report.records });
      }
    } catch (e) {
      if (!(e instanceof ImportFileError)) throw e;
      // A read failure part way through: what was read before it is still stored.
      await submit();
      await tail;
      report.ms = Math.round(performance.now() - started);
      if (report.records > 0) e.partial = report;
      throw e;
    }
    await submit();
    await tail;
  } finally {
    // Never close the lookup under a chunk still being stored.
    await tail.catch(() => undefined);
    lookup.close();
  }
  report.ms = Math.round(performance.now() - started);
  return report;
};
