import { seededRandom } from '../stats/rng.ts';

/**
 * A seeded split stratified by treatment × outcome (features.md B9): the rows of each of the
 * four cells (treated or control, outcome or not) are shuffled with one seeded generator and
 * the first round(share · cell size) go to `first`. So both parts keep the arms' sizes and
 * outcome rates within one row of the whole, which a plain random split does not promise on a
 * rare outcome, and the same seed always gives the same parts.
 */
export interface Split {
  /** Row indices, ascending. */
  readonly first: Uint32Array;
  readonly second: Uint32Array;
}

/** The stratum of a row: 2·treatment + (outcome > 0). */
const stratum = (t: number, y: number): number => 2 * (t === 1 ? 1 : 0) + (y > 0 ? 1 : 0);

export const stratifiedSplit = (
  treatment: Uint8Array,
  outcome: ArrayLike<number>,
  share: number,
  seed: number,
  /** Only these rows take part (all rows when omitted). */
  rows?: Uint32Array,
): Split => {
  if (!(share > 0 && share < 1)) throw new Error(`split share ${share} not in (0, 1)`);
  if (treatment.length !== outcome.length)
    throw new Error(`${treatment.length} treatments for ${outcome.length} outcomes`);
  const pool = rows ?? Uint32Array.from({ length: treatment.length }, (_, i) => i);
  const cells: number[][] = [[], [], [], []];
  for (const r of pool) (cells[stratum(treatment[r] as number, outcome[r] as number)] as number[]).push(r);
  const rand = seededRandom(seed);
  const first: number[] = [];
  const second: number[] = [];
  for (const cell of cells) {
    // Fisher–Yates: every order of the cell equally likely for a given seed.
    for (let i = cell.length - 1; i > 0; i--) {
      const j = Math.floor(rand() * (i + 1));
      const a = cell[i] as number;
      cell[i] = cell[j] as number;
      cell[j] = a;
    }
    const take = Math.round(share * cell.length);
    for (let i = 0; i < cell.length; i++) (i < take ? first : second).push(cell[i] as number);
  }
  const sorted = (a: number[]): Uint32Array => Uint32Array.from(a).sort();
  return { first: sorted(first), second: sorted(second) };
};
