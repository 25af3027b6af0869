import type { FieldError } from '../../core/events/field-error.ts';

/**
 * What an import answers, in a module of its own: the sources (which fail with a partial report)
 * and the importer (which writes the report) both need it without importing each other.
 */

export type ImportFormat = 'csv' | 'ndjson' | 'parquet';

/** The file cannot be imported at all (missing, unreadable, no header…): nothing in it was judged. */
export class ImportFileError extends Error {
  /** Set when reading failed part way through: what had been imported by then (and is stored). */
  partial: ImportReport | undefined;

  constructor(
    message: string,
    readonly kind: 'unreadable' | 'invalid-file',
  ) {
    super(message);
    this.name = 'ImportFileError';
  }
}

export interface ImportReport {
  format: ImportFormat;
  /** Records read: accepted + duplicates + rejected. */
  records: number;
  /** Records stored by this import. */
  accepted: number;
  /** Records whose messageId was already stored, or came earlier in the file: stored once. */
  duplicates: number;
  /** Records with at least one error; none of them is stored. */
  rejected: number;
  /** The first `maxErrorsReported` errors: `index` is the 1-based line (row for Parquet). */
  errors: FieldError[];
  ms: number;
}
