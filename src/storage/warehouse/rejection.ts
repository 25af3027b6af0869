import type { FieldError } from '../../core/events/field-error.ts';

/** A record refused at ingestion, kept in `ingest_rejections` with its raw text where known. */
export interface Rejection extends FieldError {
  raw: string | null;
}
