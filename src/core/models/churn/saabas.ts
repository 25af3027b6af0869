import type { GbdtModel } from './gbdt.ts';
import type { FeatureMatrix } from './matrix.ts';
import type { Tree } from './tree.ts';

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

/**
 * Saabas path attribution: along each tree's path, the change of the expected output from a
 * node to the child the row takes is credited to the node's split feature. Contributions add up
 * to the log-odds minus `expectedMargin(model)`, like TreeSHAP's, at the cost of one walk per
 * tree (as fast as scoring). Unlike TreeSHAP they depend on the order of splits in a tree
 * (features near the root are credited less), so TreeSHAP is the reference and this is for
 * explaining many rows at once.
 */
export const saabasContributions = (model: GbdtModel, x: FeatureMatrix): Float64Array => {
  const d = model.featureNames.length;
  if (x.cols !== d) throw new Error(`the model expects ${d} features, the matrix has ${x.cols}`);
  const phi = new Float64Array(x.rows * d);
  const v = x.values;
  for (const t of model.trees) {
    const e = nodeExpectations(t);
    for (let i = 0, o = 0; i < x.rows; i++, o += d) {
      let node = 0;
      let f = t.feature[0] as number;
      while (f >= 0) {
        const next =
          (v[o + f] as number) <= (t.threshold[node] as number)
            ? (t.left[node] as number)
            : (t.right[node] as number);
        phi[o + f] = (phi[o + f] as number) + (e[next] as number) - (e[node] as number);
        node = next;
        f = t.feature[node] as number;
      }
    }
  }
  return phi;
};
