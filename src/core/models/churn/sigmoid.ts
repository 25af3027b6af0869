/** The logistic function, written so neither tail overflows. */
export const sigmoid = (z: number): number => {
  if (z >= 0) return 1 / (1 + Math.exp(-z));
  const e = Math.exp(z);
  return e / (1 + e);
};

/** log(p / (1 − p)). */
export const logit = (p: number): number => Math.log(p / (1 - p));
