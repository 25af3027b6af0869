/** One precise complaint about one input record: which record, which field, why. */
export interface FieldError {
  /** Position of the record in its batch or file (0-based for batches, 1-based line for files). */
  index: number;
  /** Path of the offending field inside the record, e.g. `properties.amount`. */
  field: string;
  reason: string;
}
