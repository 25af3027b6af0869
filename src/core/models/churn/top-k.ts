/**
 * Row `base / k`'s `k` largest positive contributions, kept sorted (largest first, ties by the
 * order they were offered) in `feature` / `contribution` at `base … base + k − 1`. Offers one
 * (feature `j`, contribution `c`) with `n` already kept; returns how many are kept after it.
 */
export const offerTopK = (
  feature: Int32Array,
  contribution: Float64Array,
  base: number,
  k: number,
  n: number,
  j: number,
  c: number,
): number => {
  if (!(c > 0)) return n;
  if (n === k && c <= (contribution[base + k - 1] as number)) return n;
  let at = n < k ? n : k - 1;
  while (at > 0 && (contribution[base + at - 1] as number) < c) {
    feature[base + at] = feature[base + at - 1] as number;
    contribution[base + at] = contribution[base + at - 1] as number;
    at--;
  }
  feature[base + at] = j;
  contribution[base + at] = c;
  return n < k ? n + 1 : n;
};
