/**
 * A dense feature matrix: `rows` × `cols` doubles in one row-major `Float64Array` (row i is
 * `values[i * cols … (i + 1) * cols)`), NaN where a value is missing. Models read it without
 * allocating per row.
 */
export interface FeatureMatrix {
  readonly rows: number;
  readonly cols: number;
  readonly values: Float64Array;
}

export const featureMatrix = (rows: number, cols: number, values?: Float64Array): FeatureMatrix => {
  const v = values ?? new Float64Array(rows * cols);
  if (v.length !== rows * cols) {
    throw new Error(`feature matrix of ${rows} × ${cols} needs ${rows * cols} values, got ${v.length}`);
  }
  return { rows, cols, values: v };
};

/** Builds a matrix from plain rows (tests, small inputs). */
export const fromRows = (rows: readonly (readonly number[])[], cols?: number): FeatureMatrix => {
  const d = cols ?? rows[0]?.length ?? 0;
  const values = new Float64Array(rows.length * d);
  rows.forEach((r, i) => {
    if (r.length !== d) throw new Error(`row ${i} has ${r.length} values, expected ${d}`);
    values.set(r, i * d);
  });
  return { rows: rows.length, cols: d, values };
};

/** The rows at `index`, in that order, as a new matrix. */
export const selectRows = (m: FeatureMatrix, index: Uint32Array): FeatureMatrix => {
  const d = m.cols;
  const values = new Float64Array(index.length * d);
  for (let k = 0; k < index.length; k++) {
    const r = index[k] as number;
    values.set(m.values.subarray(r * d, r * d + d), k * d);
  }
  return { rows: index.length, cols: d, values };
};

/** One column as a new array. */
export const column = (m: FeatureMatrix, j: number): Float64Array => {
  if (j < 0 || j >= m.cols) throw new Error(`column ${j} out of range 0..${m.cols - 1}`);
  const out = new Float64Array(m.rows);
  for (let i = 0, p = j; i < m.rows; i++, p += m.cols) out[i] = m.values[p] as number;
  return out;
};

/** Picks the entries of a typed array at `index`. */
export const gather = <T extends Float64Array | Uint8Array>(a: T, index: Uint32Array): T => {
  const out = new (a.constructor as new (n: number) => T)(index.length);
  for (let k = 0; k < index.length; k++) out[k] = a[index[k] as number] as number;
  return out;
};
