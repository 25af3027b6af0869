/** How much of the warehouse the condition builder's metadata reads (both engines' statements). */
export interface MetadataSample {
  /** Days back from the newest matching event. */
  days: number;
  /** At most this many rows (newest first). */
  rows: number;
}
