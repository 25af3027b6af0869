/**
 * Optimal-string-alignment distance (Damerau–Levenshtein restricted to adjacent transpositions
 * of untouched characters): insertions, deletions, substitutions and swaps of two neighbours
 * cost 1 each, so `logn` → `login` is 1 and `lgoin` → `login` is 1. Compared per code point, so
 * a Chinese event name counts its characters, not its UTF-16 halves.
 */
export const editDistance = (a: string, b: string): number => {
  const s = [...a];
  const t = [...b];
  if (s.length === 0) return t.length;
  if (t.length === 0) return s.length;
  // Three rows: the one before the previous is needed for transpositions.
  let before: number[] = new Array<number>(t.length + 1).fill(0);
  let prev: number[] = Array.from({ length: t.length + 1 }, (_, j) => j);
  for (let i = 1; i <= s.length; i++) {
    const row: number[] = [i];
    for (let j = 1; j <= t.length; j++) {
      const cost = s[i - 1] === t[j - 1] ? 0 : 1;
      let d = Math.min((prev[j] ?? 0) + 1, (row[j - 1] ?? 0) + 1, (prev[j - 1] ?? 0) + cost);
      if (i > 1 && j > 1 && s[i - 1] === t[j - 2] && s[i - 2] === t[j - 1])
        d = Math.min(d, (before[j - 2] ?? 0) + 1);
      row.push(d);
    }
    before = prev;
    prev = row;
  }
  return prev[t.length] ?? 0;
};

/** How far a name may be from a known one and still be suggested: about a third of its length. */
export const maxSuggestDistance = (name: string): number =>
  Math.max(1, Math.min(3, Math.floor([...name].length / 3)));

/**
 * The known name closest to `name`, if one is close enough to be a likely typo. A difference of
 * letter case only always qualifies. Ties go to the name listed first (callers list the most
 * frequent first), then the alphabetically smaller.
 */
export const didYouMean = (name: string, known: readonly string[]): string | null => {
  const lower = name.toLowerCase();
  const limit = maxSuggestDistance(name);
  let best: { name: string; d: number } | null = null;
  for (const k of known) {
    if (k === name) continue;
    const d = k.toLowerCase() === lower ? 0 : editDistance(lower, k.toLowerCase());
    if (d > limit) continue;
    if (best === null || d < best.d) best = { name: k, d };
  }
  return best?.name ?? null;
};
