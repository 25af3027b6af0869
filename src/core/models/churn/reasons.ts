/** One named reason behind a user's score: a feature, its value, and how much it moved the log-odds. */
export interface Reason {
  feature: string;
  value: number;
  contribution: number;
}

/**
 * The `k` features that raise row `i`'s churn risk most (largest positive contributions, ties
 * by feature order). `contributions` and `values` are row-major with one column per name.
 */
export const topReasons = (
  contributions: Float64Array,
  values: Float64Array,
  names: readonly string[],
  i: number,
  k = 3,
): Reason[] => {
  // A running top-k by insertion into a tiny sorted list: scoring a million users calls this a
  // million times, so no per-feature objects and no sort of all features.
  const d = names.length;
  const best: number[] = [];
  for (let j = 0; j < d; j++) {
    const c = contributions[i * d + j] as number;
    if (!(c > 0)) continue;
    if (best.length === k && c <= (contributions[i * d + (best[k - 1] as number)] as number)) continue;
    let at = best.length < k ? best.length : k - 1;
    while (at > 0 && (contributions[i * d + (best[at - 1] as number)] as number) < c) {
      if (at < k) best[at] = best[at - 1] as number;
      at--;
    }
    best[at] = j;
    if (best.length > k) best.length = k;
  }
  return best.map((j) => ({
    feature: names[j] as string,
    value: values[i * d + j] as number,
    contribution: contributions[i * d + j] as number,
  }));
};

/** Mean absolute contribution of every feature over the rows: a global importance in log-odds. */
export const meanAbsContribution = (contributions: Float64Array, d: number): Float64Array => {
  const out = new Float64Array(d);
  const rows = contributions.length / Math.max(1, d);
  for (let i = 0; i < contributions.length; i++)
    out[i % d] = (out[i % d] as number) + Math.abs(contributions[i] as number);
  if (rows > 0) for (let j = 0; j < d; j++) out[j] = (out[j] as number) / rows;
  return out;
};
