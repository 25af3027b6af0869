/**
 * One regression tree in flat typed arrays. Node 0 is the root and children always have larger
 * indices than their parent, so a walk from the root ends. A row goes left when
 * `x[feature] <= threshold` and right otherwise — NaN (missing) compares false and goes right,
 * the same way its bin (the last one) goes in training.
 */
export interface Tree {
  /** Split feature of each node; −1 marks a leaf. */
  readonly feature: Int32Array;
  readonly threshold: Float64Array;
  readonly left: Int32Array;
  readonly right: Int32Array;
  /** Output of a leaf in log-odds, learning rate applied; 0 at internal nodes. */
  readonly value: Float64Array;
  /** Training rows of the round's sample that reached the node: the weights of TreeSHAP's expectations. */
  readonly cover: Float64Array;
  /** Loss reduction of the split made at the node; 0 at leaves. */
  readonly gain: Float64Array;
}

export const nodeCount = (t: Tree): number => t.feature.length;

/** The leaf a row reaches; `x[offset + j]` is feature j of the row. */
export const leafOf = (t: Tree, x: Float64Array, offset: number): number => {
  let node = 0;
  let f = t.feature[0] as number;
  while (f >= 0) {
    node =
      (x[offset + f] as number) <= (t.threshold[node] as number)
        ? (t.left[node] as number)
        : (t.right[node] as number);
    f = t.feature[node] as number;
  }
  return node;
};

/** Longest root-to-leaf path, in edges. */
export const treeDepth = (t: Tree): number => {
  const depth = new Int32Array(t.feature.length);
  let max = 0;
  for (let i = 0; i < t.feature.length; i++) {
    if ((t.feature[i] as number) < 0) continue;
    const d = (depth[i] as number) + 1;
    depth[t.left[i] as number] = d;
    depth[t.right[i] as number] = d;
    if (d > max) max = d;
  }
  return max;
};

/** The tree's expected output over its training sample: leaf values weighted by cover. */
export const treeExpectation = (t: Tree): number => {
  const root = t.cover[0] as number;
  if (!(root > 0)) return 0;
  let s = 0;
  for (let i = 0; i < t.feature.length; i++) {
    if ((t.feature[i] as number) < 0) s += (t.value[i] as number) * (t.cover[i] as number);
  }
  return s / root;
};

/**
 * Checks the invariants every consumer relies on (used when loading a model from outside):
 * equal lengths, children after their parent and inside the tree, finite numbers.
 */
export const checkTree = (t: Tree, features: number): string | undefined => {
  const n = t.feature.length;
  if (n === 0) return 'has no nodes';
  for (const [name, a] of Object.entries({
    threshold: t.threshold,
    left: t.left,
    right: t.right,
    value: t.value,
    cover: t.cover,
    gain: t.gain,
  })) {
    if (a.length !== n) return `${name} has ${a.length} entries, feature has ${n}`;
  }
  for (let i = 0; i < n; i++) {
    const f = t.feature[i] as number;
    if (!Number.isFinite(t.value[i]) || !Number.isFinite(t.cover[i]) || !Number.isFinite(t.gain[i])) {
      return `node ${i} has a non-finite number`;
    }
    if (f < 0) continue;
    if (f >= features) return `node ${i} splits on feature ${f}; the model has ${features}`;
    if (!Number.isFinite(t.threshold[i])) return `node ${i} has a non-finite threshold`;
    const l = t.left[i] as number;
    const r = t.right[i] as number;
    if (!(l > i && l < n && r > i && r < n && l !== r))
      return `node ${i} has children ${l}, ${r} out of order`;
  }
  return undefined;
};
