import { open, type FileHandle } from 'node:fs/promises';
import { createGunzip } from 'node:zlib';
import type { FieldError } from '../../core/events/field-error.ts';
import { CsvParser, type CsvRow } from '../../core/csv/csv-parser.ts';
import {
  columnForField,
  jsonSyntaxReason,
  rowToMessage,
  tableLayout,
  type TableLayout,
} from './csv-record.ts';
import { ImportFileError, type ImportFormat } from './import-report.ts';
import { openParquetFile, ParquetUnreadableError, type ParquetFile } from '../../storage/parquet-file.ts';

/** One record of the file, turned into a Segment message or into the reasons it could not be. */
export interface SourceRecord {
  /** 1-based line (CSV: the line the record starts on; NDJSON: its line; Parquet: its row). */
  index: number;
  /** The record as written in the file (empty for Parquet: see `RecordSource.rawText`). */
  text: string;
  message: Record<string, unknown> | undefined;
  /** Problems found before validation (syntax, shape); `message` is undefined when set. */
  errors: FieldError[] | undefined;
  /** Tabular sources: the row's cells, to name error fields after the file's columns. */
  cells: readonly string[] | undefined;
}

export interface SourceBatch {
  records: SourceRecord[];
  /** Bytes of the file consumed so far (compressed bytes for .gz). */
  bytesRead: number;
}

export interface RecordSource {
  format: ImportFormat;
  totalBytes: number;
  batches(): AsyncGenerator<SourceBatch, void, undefined>;
  /** The name a field of a normalisation error has in this file (`userId` is `user_id` in CSV). */
  fieldName(record: SourceRecord, field: string): string;
  /** The record's text, kept with a rejection. */
  rawText(record: SourceRecord): string;
  close(): Promise<void>;
}

const READ_CHUNK = 1 << 15;

/** The format a file name implies: .csv, .ndjson/.jsonl, .parquet, each optionally .gz (not parquet). */
export const formatFromPath = (path: string): { format: ImportFormat; gzip: boolean } | undefined => {
  const lower = path.toLowerCase();
  const gzip = lower.endsWith('.gz');
  const base = gzip ? lower.slice(0, -3) : lower;
  const format = base.endsWith('.csv')
    ? 'csv'
    : base.endsWith('.ndjson') || base.endsWith('.jsonl')
      ? 'ndjson'
      : base.endsWith('.parquet') || base.endsWith('.pq')
        ? 'parquet'
        : undefined;
  if (format === undefined || (gzip && format === 'parquet')) return undefined;
  return { format, gzip };
};

const describeIoError = (path: string, e: unknown): string => {
  const code = (e as NodeJS.ErrnoException | undefined)?.code;
  const why =
    code === 'ENOENT'
      ? 'no such file'
      : code === 'EACCES' || code === 'EPERM'
        ? 'permission denied'
        : code === 'EISDIR'
          ? 'it is a directory'
          : e instanceof Error
            ? e.message
            : String(e);
  return `cannot read ${path}: ${why}`;
};

/** Opens `path` for reading, or says precisely why it cannot be read. */
const openFile = async (path: string): Promise<{ fh: FileHandle; size: number }> => {
  let fh: FileHandle;
  try {
    fh = await open(path, 'r');
  } catch (e) {
    throw new ImportFileError(describeIoError(path, e), 'unreadable');
  }
  const stat = await fh.stat();
  if (!stat.isFile()) {
    await fh.close();
    throw new ImportFileError(`cannot read ${path}: not a regular file`, 'unreadable');
  }
  return { fh, size: stat.size };
};

/**
 * Decoded text of the file in pieces of READ_CHUNK, with how many file bytes were consumed.
 * Small pieces keep each batch's records short-lived (measured: 32 KiB pieces read CSV twice
 * as fast as 1 MiB ones, the difference being garbage collection).
 */
async function* textPieces(
  path: string,
  fh: FileHandle,
  gzip: boolean,
): AsyncGenerator<{ text: string; bytesRead: number }, void, undefined> {
  const file = fh.createReadStream({ highWaterMark: READ_CHUNK, autoClose: false });
  const input = gzip ? file.pipe(createGunzip({ chunkSize: READ_CHUNK })) : file;
  if (gzip) file.on('error', (e) => input.destroy(e));
  const decoder = new TextDecoder('utf-8');
  try {
    for await (const chunk of input as AsyncIterable<Buffer>) {
      const text = decoder.decode(chunk, { stream: true });
      if (text.length > 0) yield { text, bytesRead: file.bytesRead };
    }
  } catch (e) {
    throw new ImportFileError(
      gzip && (e as { code?: string }).code?.startsWith('Z_')
        ? `cannot read ${path}: not valid gzip data (${(e as Error).message})`
        : describeIoError(path, e),
      'unreadable',
    );
  } finally {
    file.destroy();
    input.destroy();
  }
  const tail = decoder.decode();
  if (tail.length > 0) yield { text: tail, bytesRead: file.bytesRead };
}

const tabularFieldName = (layout: () => TableLayout | undefined) => (r: SourceRecord, field: string) => {
  const l = layout();
  return l === undefined || r.cells === undefined ? field : columnForField(l, r.cells, field);
};

const tabularRecord = (layout: TableLayout, cells: string[], index: number, text: string): SourceRecord => {
  const m = rowToMessage(layout, cells, index);
  return m.ok
    ? { index, text, message: m.value, errors: undefined, cells }
    : { index, text, message: undefined, errors: m.error, cells };
};

export const csvSource = async (path: string, gzip: boolean): Promise<RecordSource> => {
  const { fh, size } = await openFile(path);
  let layout: TableLayout | undefined;
  async function* batches(): AsyncGenerator<SourceBatch, void, undefined> {
    const parser = new CsvParser();
    let rows: CsvRow[] = [];
    let bytesRead = 0;
    const convert = (): SourceRecord[] => {
      const records: SourceRecord[] = [];
      for (const row of rows) {
        if (layout === undefined) {
          if (row.error !== undefined) {
            throw new ImportFileError(
              `${path}: the header row (line ${row.line}) is not valid CSV: ${row.error}`,
              'invalid-file',
            );
          }
          const l = tableLayout(row.fields);
          if (!l.ok) throw new ImportFileError(`${path}: ${l.error} (line ${row.line})`, 'invalid-file');
          layout = l.value;
          continue;
        }
        if (row.error !== undefined) {
          records.push({
            index: row.line,
            text: row.text,
            message: undefined,
            errors: [{ index: row.line, field: '(record)', reason: `is not valid CSV: ${row.error}` }],
            cells: undefined,
          });
        } else records.push(tabularRecord(layout, row.fields, row.line, row.text));
      }
      rows = [];
      return records;
    };
    for await (const piece of textPieces(path, fh, gzip)) {
      parser.push(piece.text, rows);
      bytesRead = piece.bytesRead;
      yield { records: convert(), bytesRead };
    }
    parser.end(rows);
    const records = convert();
    if (layout === undefined) {
      throw new ImportFileError(
        `${path}: the file is empty; a CSV import needs a header row`,
        'invalid-file',
      );
    }
    yield { records, bytesRead };
  }
  return {
    format: 'csv',
    totalBytes: size,
    batches,
    fieldName: tabularFieldName(() => layout),
    rawText: (r) => r.text,
    close: () => fh.close(),
  };
};

export const ndjsonSource = async (path: string, gzip: boolean): Promise<RecordSource> => {
  const { fh, size } = await openFile(path);
  async function* batches(): AsyncGenerator<SourceBatch, void, undefined> {
    let rest = '';
    let line = 0;
    let first = true;
    const take = (text: string, records: SourceRecord[]) => {
      line++;
      const end = text.length > 0 && text.charCodeAt(text.length - 1) === 13 ? text.length - 1 : text.length;
      const body = end === text.length ? text : text.slice(0, end);
      if (body.trim() === '') return;
      records.push(ndjsonRecord(body, line));
    };
    let bytesRead = 0;
    for await (const piece of textPieces(path, fh, gzip)) {
      let s = rest.length === 0 ? piece.text : rest + piece.text;
      if (first) {
        first = false;
        if (s.charCodeAt(0) === 0xfeff) s = s.slice(1);
      }
      const records: SourceRecord[] = [];
      let from = 0;
      for (let nl = s.indexOf('\n'); nl !== -1; nl = s.indexOf('\n', from)) {
        take(s.slice(from, nl), records);
        from = nl + 1;
      }
      rest = s.slice(from);
      bytesRead = piece.bytesRead;
      yield { records, bytesRead };
    }
    const records: SourceRecord[] = [];
    if (rest.length > 0) take(rest, records);
    yield { records, bytesRead };
  }
  return {
    format: 'ndjson',
    totalBytes: size,
    batches,
    fieldName: (_r, field) => field,
    rawText: (r) => r.text,
    close: () => fh.close(),
  };
};

/** One NDJSON line: a JSON object, `type` defaulting to track when it has an `event`. */
export const ndjsonRecord = (text: string, index: number): SourceRecord => {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    return {
      index,
      text,
      message: undefined,
      errors: [{ index, field: '(record)', reason: jsonSyntaxReason(e) }],
      cells: undefined,
    };
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return {
      index,
      text,
      message: undefined,
      errors: [{ index, field: '(record)', reason: 'must be a JSON object' }],
      cells: undefined,
    };
  }
  const message = value as Record<string, unknown>;
  if (message['type'] === undefined && message['event'] !== undefined) message['type'] = 'track';
  return { index, text, message, errors: undefined, cells: undefined };
};

const PARQUET_BATCH_ROWS = 16_384;

/**
 * Parquet through a private in-memory DuckDB (the warehouse's writer stays free): columns are
 * those of the CSV format; timestamps become ISO-8601 UTC text, nested values JSON text.
 */
export const parquetSource = async (path: string): Promise<RecordSource> => {
  const { fh, size } = await openFile(path);
  await fh.close();
  let file: ParquetFile;
  try {
    file = await openParquetFile(path);
  } catch (e) {
    if (!(e instanceof ParquetUnreadableError)) throw e;
    throw new ImportFileError(`cannot read ${path} as Parquet: ${e.reason}`, 'invalid-file');
  }
  const { totalRows } = file;
  const l = tableLayout(file.columns.map((c) => c.name));
  if (!l.ok) {
    file.close();
    throw new ImportFileError(`${path}: ${l.error}`, 'invalid-file');
  }
  const header = l.value;
  const f = file;
  async function* batches(): AsyncGenerator<SourceBatch, void, undefined> {
    let row = 0;
    let records: SourceRecord[] = [];
    for await (const texts of f.rowChunks()) {
      for (const text of texts) {
        row++;
        const values = JSON.parse(text ?? '[]') as (string | null)[];
        const cells = values.map((v) => (v === null ? '' : v));
        records.push(tabularRecord(header, cells, row, ''));
      }
      if (records.length >= PARQUET_BATCH_ROWS) {
        yield { records, bytesRead: totalRows === 0 ? size : Math.round((size * row) / totalRows) };
        records = [];
      }
    }
    yield { records, bytesRead: size };
  }
  return {
    format: 'parquet',
    totalBytes: size,
    batches,
    fieldName: tabularFieldName(() => header),
    // A row as a JSON object of its cells (empty cells are null).
    rawText: (r) =>
      JSON.stringify(Object.fromEntries(header.header.map((n, i) => [n, r.cells?.[i] || null]))),
    close: async () => {
      f.close();
    },
  };
};

export const openSource = async (path: string, format?: ImportFormat): Promise<RecordSource> => {
  const guessed = formatFromPath(path);
  const chosen = format ?? guessed?.format;
  if (chosen === undefined) {
    throw new ImportFileError(
      `${path}: cannot tell the format from the file name; name it .csv, .ndjson, .jsonl or .parquet (optionally .gz), or give the format`,
      'invalid-file',
    );
  }
  const gzip = path.toLowerCase().endsWith('.gz');
  if (chosen === 'parquet') {
    if (gzip)
      throw new ImportFileError(
        `${path}: a Parquet file cannot be gzipped (it is compressed inside)`,
        'invalid-file',
      );
    return parquetSource(path);
  }
  return chosen === 'csv' ? csvSource(path, gzip) : ndjsonSource(path, gzip);
};
