import type { GbdtModel } from './gbdt.ts';

/** All trees of a model in one set of arrays (global node indices), for a tight scoring loop. */
export interface Forest {
  roots: Int32Array;
  feature: Int32Array;
  threshold: Float64Array;
  left: Int32Array;
  right: Int32Array;
  value: Float64Array;
}

const forests = new WeakMap<GbdtModel, Forest>();

export const flattenForest = (model: GbdtModel): Forest => {
  const cached = forests.get(model);
  if (cached) return cached;
  let total = 0;
  for (const t of model.trees) total += t.feature.length;
  const f: Forest = {
    roots: new Int32Array(model.trees.length),
    feature: new Int32Array(total),
    threshold: new Float64Array(total),
    left: new Int32Array(total),
    right: new Int32Array(total),
    value: new Float64Array(total),
  };
  let at = 0;
  model.trees.forEach((t, i) => {
    f.roots[i] = at;
    f.feature.set(t.feature, at);
    f.threshold.set(t.threshold, at);
    f.value.set(t.value, at);
    for (let k = 0; k < t.feature.length; k++) {
      f.left[at + k] = (t.left[k] as number) + at;
      f.right[at + k] = (t.right[k] as number) + at;
    }
    at += t.feature.length;
  });
  forests.set(model, f);
  return f;
};
