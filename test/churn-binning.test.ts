import { describe, expect, it } from 'vitest';
import { Rng } from '../src/core/demo/prng.ts';
import { binMatrix, binOf, fitBinEdges } from '../src/core/models/churn/binning.ts';
import { featureMatrix } from '../src/core/models/churn/matrix.ts';

/** The definition: how many edges lie below x (NaN: all of them, the last bin). */
const countBelow = (edges: Float64Array, x: number): number => {
  if (Number.isNaN(x)) return edges.length;
  let k = 0;
  for (const e of edges) if (e < x) k++;
  return k;
};

describe('binning (issue 20: branch-free search, row-by-row matrix)', () => {
  it('binOf is the count of edges below the value, for every edge count up to 255', () => {
    const rng = new Rng(11, 3);
    for (let size = 0; size <= 255; size++) {
      const edges = new Float64Array(size);
      let at = -50;
      for (let b = 0; b < size; b++) edges[b] = at += 0.5 + rng.next() * 3;
      const probes = [NaN, Infinity, -Infinity, -1e9, 1e9, ...edges, ...edges.map((e) => e + 1e-9)];
      for (let k = 0; k < 40; k++) probes.push(-60 + rng.next() * (at + 70));
      for (const x of probes) expect(binOf(edges, x), `${size} edges, x = ${x}`).toBe(countBelow(edges, x));
    }
  });

  it('binMatrix puts each cell in binOf of its column, with and without a row selection', () => {
    const rng = new Rng(5, 9);
    const rows = 500;
    const cols = 7;
    const v = new Float64Array(rows * cols);
    for (let i = 0; i < v.length; i++)
      v[i] = rng.next() < 0.1 ? NaN : Math.floor(rng.next() * (i % cols) * 40);
    const m = featureMatrix(rows, cols, v);
    const edges = fitBinEdges(m, 16);
    const all = binMatrix(m, edges);
    for (let i = 0; i < rows; i++)
      for (let j = 0; j < cols; j++)
        expect(all[i * cols + j]).toBe(binOf(edges[j] as Float64Array, v[i * cols + j] as number));
    const pick = Uint32Array.from([499, 0, 250, 250, 3]);
    const some = binMatrix(m, edges, pick);
    pick.forEach((r, k) =>
      expect(Array.from(some.subarray(k * cols, k * cols + cols))).toEqual(
        Array.from(all.subarray(r * cols, r * cols + cols)),
      ),
    );
    // Edges were fitted on these values: more than one bin is used in the varied columns.
    expect(new Set(Array.from({ length: rows }, (_, i) => all[i * cols + 6])).size).toBeGreaterThan(5);
  });
});
