import { flattenForest, type Forest } from './forest.ts';
import type { GbdtModel } from './gbdt.ts';
import type { FeatureMatrix } from './matrix.ts';
import type { Tree } from './tree.ts';
import { offerTopK } from './top-k.ts';

const expectations = new WeakMap<Tree, Float64Array>();

/** Cover-weighted mean output below every node (children come after parents, so one backward pass). */
const nodeExpectations = (t: Tree): Float64Array => {
  const known = expectations.get(t);
  if (known) return known;
  const n = t.feature.length;
  const sum = new Float64Array(n);
  for (let i = n - 1; i >= 0; i--) {
    if ((t.feature[i] as number) < 0) sum[i] = (t.value[i] as number) * (t.cover[i] as number);
    else sum[i] = (sum[t.left[i] as number] as number) + (sum[t.right[i] as number] as number);
  }
  const e = sum.map((s, i) => ((t.cover[i] as number) > 0 ? s / (t.cover[i] as number) : 0));
  expectations.set(t, e);
  return e;
};

/** Every tree in one set of arrays (global node indices) with each node's expected output. */
interface SaabasForest extends Forest {
  expected: Float64Array;
}

const forests = new WeakMap<GbdtModel, SaabasForest>();

const flatten = (model: GbdtModel): SaabasForest => {
  const cached = forests.get(model);
  if (cached) return cached;
  const base = flattenForest(model);
  const expected = new Float64Array(base.feature.length);
  model.trees.forEach((t, i) => expected.set(nodeExpectations(t), base.roots[i] as number));
  const f = { ...base, expected };
  forests.set(model, f);
  return f;
};

/**
 * Adds row `o`'s contributions over every tree into `out[base … base + d)`. Rows outside,
 * trees inside: the row and its contributions stay in cache while the trees are walked (the
 * other way round sweeps the whole output once per tree).
 */
const addRow = (f: SaabasForest, v: Float64Array, o: number, out: Float64Array, base: number): void => {
  const { roots, feature, threshold, left, right, expected } = f;
  for (let t = 0; t < roots.length; t++) {
    let node = roots[t] as number;
    let feat = feature[node] as number;
    while (feat >= 0) {
      const next =
        (v[o + feat] as number) <= (threshold[node] as number)
          ? (left[node] as number)
          : (right[node] as number);
      out[base + feat] =
        (out[base + feat] as number) + ((expected[next] as number) - (expected[node] as number));
      node = next;
      feat = feature[node] as number;
    }
  }
};

const checkShape = (model: GbdtModel, x: FeatureMatrix): number => {
  const d = model.featureNames.length;
  if (x.cols !== d) throw new Error(`the model expects ${d} features, the matrix has ${x.cols}`);
  return d;
};

/**
 * Saabas path attribution: along each tree's path, the change of the expected output from a
 * node to the child the row takes is credited to the node's split feature. Contributions add up
 * to the log-odds minus `expectedMargin(model)`, like TreeSHAP's, at the cost of one walk per
 * tree (as fast as scoring). Unlike TreeSHAP they depend on the order of splits in a tree
 * (features near the root are credited less), so TreeSHAP is the reference and this is for
 * explaining many rows at once.
 */
export const saabasContributions = (model: GbdtModel, x: FeatureMatrix): Float64Array => {
  const d = checkShape(model, x);
  const f = flatten(model);
  const phi = new Float64Array(x.rows * d);
  for (let i = 0, o = 0; i < x.rows; i++, o += d) addRow(f, x.values, o, phi, o);
  return phi;
};

/**
 * Each row's `k` largest positive Saabas contributions, without the rows × features matrix:
 * `feature[i * k + r]` is the feature index of row i's reason r (−1: fewer reasons) and
 * `contribution[i * k + r]` its log-odds. Order: largest first, ties by feature order.
 */
export const topSaabasReasons = (
  model: GbdtModel,
  x: FeatureMatrix,
  k: number,
): { feature: Int32Array; contribution: Float64Array } => {
  const d = checkShape(model, x);
  const f = flatten(model);
  const feature = new Int32Array(x.rows * k).fill(-1);
  const contribution = new Float64Array(x.rows * k);
  const row = new Float64Array(d);
  for (let i = 0, o = 0; i < x.rows; i++, o += d) {
    row.fill(0);
    addRow(f, x.values, o, row, 0);
    const base = i * k;
    let n = 0;
    for (let j = 0; j < d; j++) {
      n = offerTopK(feature, contribution, base, k, n, j, row[j] as number);
    }
  }
  return { feature, contribution };
};
