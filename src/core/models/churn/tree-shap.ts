import type { GbdtModel } from './gbdt.ts';
import type { FeatureMatrix } from './matrix.ts';
import { treeDepth, treeExpectation, type Tree } from './tree.ts';

/**
 * Exact TreeSHAP (Lundberg, Erion & Lee 2018, "Consistent individualized feature attribution
 * for tree ensembles", Algorithm 2; the same recursion as the `shap` package's tree_shap.h).
 * The contribution of feature j to a row's log-odds is its Shapley value for the game
 * v(S) = E[f(x) | x_S], the expectation taken over the training rows that reached each node
 * (node covers). Contributions of a row add up to its log-odds minus `expectedMargin(model)`.
 *
 * The unique path of features met from the root to a node is kept in typed arrays, one
 * segment per recursion level (the parent's segment is copied before it is extended).
 */
class PathWorkspace {
  readonly feature: Int32Array;
  readonly zero: Float64Array;
  readonly one: Float64Array;
  readonly weight: Float64Array;

  constructor(maxDepth: number) {
    const size = ((maxDepth + 2) * (maxDepth + 3)) / 2 + maxDepth + 3;
    this.feature = new Int32Array(size);
    this.zero = new Float64Array(size);
    this.one = new Float64Array(size);
    this.weight = new Float64Array(size);
  }

  copy(from: number, to: number, length: number): void {
    this.feature.copyWithin(to, from, from + length);
    this.zero.copyWithin(to, from, from + length);
    this.one.copyWithin(to, from, from + length);
    this.weight.copyWithin(to, from, from + length);
  }

  /** Adds a feature to the path at `p` of current length `depth` (EXTEND in the paper). */
  extend(p: number, depth: number, zeroFraction: number, oneFraction: number, feature: number): void {
    const w = this.weight;
    this.feature[p + depth] = feature;
    this.zero[p + depth] = zeroFraction;
    this.one[p + depth] = oneFraction;
    w[p + depth] = depth === 0 ? 1 : 0;
    for (let i = depth - 1; i >= 0; i--) {
      w[p + i + 1] = (w[p + i + 1] as number) + (oneFraction * (w[p + i] as number) * (i + 1)) / (depth + 1);
      w[p + i] = (zeroFraction * (w[p + i] as number) * (depth - i)) / (depth + 1);
    }
  }

  /** Removes path element `index` (UNWIND in the paper). */
  unwind(p: number, depth: number, index: number): void {
    const w = this.weight;
    const one = this.one[p + index] as number;
    const zero = this.zero[p + index] as number;
    let next = w[p + depth] as number;
    for (let i = depth - 1; i >= 0; i--) {
      if (one !== 0) {
        const t = w[p + i] as number;
        w[p + i] = (next * (depth + 1)) / ((i + 1) * one);
        next = t - ((w[p + i] as number) * zero * (depth - i)) / (depth + 1);
      } else {
        w[p + i] = ((w[p + i] as number) * (depth + 1)) / (zero * (depth - i));
      }
    }
    for (let i = index; i < depth; i++) {
      this.feature[p + i] = this.feature[p + i + 1] as number;
      this.zero[p + i] = this.zero[p + i + 1] as number;
      this.one[p + i] = this.one[p + i + 1] as number;
    }
  }

  /** Total permutation weight of the path with element `index` unwound, without changing it. */
  unwoundSum(p: number, depth: number, index: number): number {
    const w = this.weight;
    const one = this.one[p + index] as number;
    const zero = this.zero[p + index] as number;
    let next = w[p + depth] as number;
    let total = 0;
    for (let i = depth - 1; i >= 0; i--) {
      if (one !== 0) {
        const t = (next * (depth + 1)) / ((i + 1) * one);
        total += t;
        next = (w[p + i] as number) - (t * zero * (depth - i)) / (depth + 1);
      } else {
        total += ((w[p + i] as number) * (depth + 1)) / (zero * (depth - i));
      }
    }
    return total;
  }
}

/** One tree's contributions for one row, with the recursion's inputs in fields (no closure per call). */
class TreeExplainer {
  private x: Float64Array = new Float64Array(0);
  private offset = 0;
  private phi: Float64Array = new Float64Array(0);
  private phiOffset = 0;

  constructor(private readonly ws: PathWorkspace) {}

  explain(t: Tree, x: Float64Array, offset: number, phi: Float64Array, phiOffset: number): void {
    this.x = x;
    this.offset = offset;
    this.phi = phi;
    this.phiOffset = phiOffset;
    // The root call's "parent" segment starts at 0; its own segment at 1.
    this.recurse(t, 0, 0, 0, 1, 1, -1);
  }

  private recurse(
    t: Tree,
    node: number,
    parentP: number,
    depth: number,
    zeroFraction: number,
    oneFraction: number,
    featureIndex: number,
  ): void {
    const ws = this.ws;
    const p = parentP + depth + 1;
    ws.copy(parentP, p, depth + 1);
    ws.extend(p, depth, zeroFraction, oneFraction, featureIndex);
    const f = t.feature[node] as number;
    if (f < 0) {
      const v = t.value[node] as number;
      const phi = this.phi;
      for (let i = 1; i <= depth; i++) {
        const w = ws.unwoundSum(p, depth, i);
        const j = this.phiOffset + (ws.feature[p + i] as number);
        phi[j] = (phi[j] as number) + w * ((ws.one[p + i] as number) - (ws.zero[p + i] as number)) * v;
      }
      return;
    }
    const goLeft = (this.x[this.offset + f] as number) <= (t.threshold[node] as number);
    const hot = goLeft ? (t.left[node] as number) : (t.right[node] as number);
    const cold = goLeft ? (t.right[node] as number) : (t.left[node] as number);
    const cover = t.cover[node] as number;
    const hotZero = cover > 0 ? (t.cover[hot] as number) / cover : 0;
    const coldZero = cover > 0 ? (t.cover[cold] as number) / cover : 0;
    let incomingZero = 1;
    let incomingOne = 1;
    let d = depth;
    // Meeting a feature already on the path: undo its earlier split and redo it here.
    let k = 1;
    while (k <= d && ws.feature[p + k] !== f) k++;
    if (k <= d) {
      incomingZero = ws.zero[p + k] as number;
      incomingOne = ws.one[p + k] as number;
      ws.unwind(p, d, k);
      d -= 1;
    }
    this.recurse(t, hot, p, d + 1, hotZero * incomingZero, incomingOne, f);
    // A cold branch with no training rows contributes nothing (and would divide by zero).
    if (coldZero * incomingZero > 0) this.recurse(t, cold, p, d + 1, coldZero * incomingZero, 0, f);
  }
}

/** The model's expected log-odds over its training data: the base value of the contributions. */
export const expectedMargin = (model: GbdtModel): number => {
  let s = model.baseScore;
  for (const t of model.trees) s += treeExpectation(t);
  return s;
};

/**
 * Per-feature contributions (in log-odds) of every row, row-major `rows × features`.
 * For each row, `expectedMargin(model) + Σ_j phi[j]` equals its predicted log-odds.
 * Cost per row is O(trees × leaves × depth²).
 */
export const shapContributions = (model: GbdtModel, x: FeatureMatrix): Float64Array => {
  const d = model.featureNames.length;
  if (x.cols !== d) throw new Error(`the model expects ${d} features, the matrix has ${x.cols}`);
  let maxDepth = 0;
  for (const t of model.trees) maxDepth = Math.max(maxDepth, treeDepth(t));
  const explainer = new TreeExplainer(new PathWorkspace(maxDepth));
  const phi = new Float64Array(x.rows * d);
  for (let i = 0; i < x.rows; i++) {
    for (const t of model.trees) explainer.explain(t, x.values, i * d, phi, i * d);
  }
  return phi;
};
