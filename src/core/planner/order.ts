/**
 * Sorting index arrays by 32-bit hash keys. Sorting a million objects with a comparator would
 * dominate the planner's pass; instead the keys go through a two-pass LSD radix sort (16 bits a
 * pass) of an index array, and only runs of equal keys — a user listed by several campaigns, or
 * one of the handful of 32-bit collisions among a million — go to the caller's tie-break.
 */

const SMALL = 512;
const BUCKETS = 65_536;

/** The index order and the keys in that order. */
export interface KeyOrder {
  order: Uint32Array;
  keys: Uint32Array;
}

const radixOrder = (keys: Uint32Array): KeyOrder => {
  const n = keys.length;
  let src = new Uint32Array(n);
  let dst = new Uint32Array(n);
  let srcKeys = Uint32Array.from(keys);
  let dstKeys = new Uint32Array(n);
  for (let i = 0; i < n; i++) src[i] = i;
  const next = new Uint32Array(BUCKETS);
  for (const shift of [0, 16]) {
    next.fill(0);
    for (let i = 0; i < n; i++) {
      const b = ((srcKeys[i] as number) >>> shift) & 0xffff;
      next[b] = (next[b] as number) + 1;
    }
    let at = 0;
    for (let b = 0; b < BUCKETS; b++) {
      const c = next[b] as number;
      next[b] = at;
      at += c;
    }
    for (let i = 0; i < n; i++) {
      const key = srcKeys[i] as number;
      const b = (key >>> shift) & 0xffff;
      const to = next[b] as number;
      dst[to] = src[i] as number;
      dstKeys[to] = key;
      next[b] = to + 1;
    }
    [src, dst] = [dst, src];
    [srcKeys, dstKeys] = [dstKeys, srcKeys];
  }
  return { order: src, keys: srcKeys };
};

/**
 * Indices 0…n−1 ordered by `keys`, equal keys by `tie` (which must make the order total, so the
 * result never depends on where an index started), with the keys in that order.
 */
export const sortByKeys = (keys: Uint32Array, tie: (a: number, b: number) => number): KeyOrder => {
  const n = keys.length;
  if (n < SMALL) {
    const order = Array.from({ length: n }, (_, i) => i);
    order.sort((a, b) => (keys[a] as number) - (keys[b] as number) || tie(a, b));
    return { order: Uint32Array.from(order), keys: Uint32Array.from(order, (i) => keys[i] as number) };
  }
  const sorted = radixOrder(keys);
  const { order, keys: k } = sorted;
  for (let i = 0; i < n;) {
    let j = i + 1;
    while (j < n && k[j] === k[i]) j++;
    // Runs are short (a user in a few lists): an insertion sort in place, without a view object.
    if (j - i > 16) order.subarray(i, j).sort(tie);
    else
      for (let a = i + 1; a < j; a++)
        for (let b = a; b > i && tie(order[b - 1] as number, order[b] as number) > 0; b--) {
          const t = order[b] as number;
          order[b] = order[b - 1] as number;
          order[b - 1] = t;
        }
    i = j;
  }
  return sorted;
};
