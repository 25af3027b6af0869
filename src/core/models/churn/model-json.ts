import { err, ok, type Result } from '../../result.ts';
import { resolveGbdtParams, type GbdtModel, type GbdtParams } from './gbdt.ts';
import { checkTree, type Tree } from './tree.ts';

/** The name and version written into every saved model; a reader refuses anything else. */
export const GBDT_FORMAT = 'rekindle-churn-gbdt';
export const GBDT_FORMAT_VERSION = 1;

/** The JSON document of a model: plain arrays of numbers, one object per tree. */
export interface GbdtModelJson {
  format: typeof GBDT_FORMAT;
  version: typeof GBDT_FORMAT_VERSION;
  featureNames: string[];
  baseScore: number;
  params: GbdtParams;
  trees: {
    feature: number[];
    threshold: number[];
    left: number[];
    right: number[];
    value: number[];
    cover: number[];
    gain: number[];
  }[];
}

/**
 * The model as JSON-ready data. Doubles survive JSON exactly (shortest round-trip text), so a
 * reloaded model predicts bit for bit the same.
 */
export const gbdtToJson = (model: GbdtModel): GbdtModelJson => ({
  format: GBDT_FORMAT,
  version: GBDT_FORMAT_VERSION,
  featureNames: [...model.featureNames],
  baseScore: model.baseScore,
  params: { ...model.params },
  trees: model.trees.map((t) => ({
    feature: Array.from(t.feature),
    threshold: Array.from(t.threshold),
    left: Array.from(t.left),
    right: Array.from(t.right),
    value: Array.from(t.value),
    cover: Array.from(t.cover),
    gain: Array.from(t.gain),
  })),
});

export const serializeGbdt = (model: GbdtModel): string => JSON.stringify(gbdtToJson(model));

const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

const numbers = (v: unknown, integers: boolean): number[] | undefined => {
  if (!Array.isArray(v)) return undefined;
  for (const x of v) {
    if (typeof x !== 'number' || (integers && !Number.isInteger(x))) return undefined;
  }
  return v as number[];
};

/** Reads a model from its JSON text or parsed value; says precisely what is wrong otherwise. */
export const deserializeGbdt = (input: string | unknown): Result<GbdtModel, string> => {
  let doc: unknown = input;
  if (typeof input === 'string') {
    try {
      doc = JSON.parse(input);
    } catch (e) {
      return err(`not JSON: ${e instanceof Error ? e.message : String(e)}`);
    }
  }
  if (!isRecord(doc)) return err('a model must be a JSON object');
  if (doc['format'] !== GBDT_FORMAT)
    return err(`format is ${JSON.stringify(doc['format'])}, expected "${GBDT_FORMAT}"`);
  if (doc['version'] !== GBDT_FORMAT_VERSION) {
    return err(
      `version ${JSON.stringify(doc['version'])} is not supported (this build reads ${GBDT_FORMAT_VERSION})`,
    );
  }
  const names = doc['featureNames'];
  if (!Array.isArray(names) || !names.every((n) => typeof n === 'string')) {
    return err('featureNames must be an array of strings');
  }
  const baseScore = doc['baseScore'];
  if (typeof baseScore !== 'number' || !Number.isFinite(baseScore))
    return err('baseScore must be a finite number');
  let params: GbdtParams;
  try {
    params = resolveGbdtParams(isRecord(doc['params']) ? (doc['params'] as Partial<GbdtParams>) : {});
  } catch (e) {
    return err(`params: ${e instanceof Error ? e.message : String(e)}`);
  }
  const rawTrees = doc['trees'];
  if (!Array.isArray(rawTrees)) return err('trees must be an array');
  const trees: Tree[] = [];
  for (let i = 0; i < rawTrees.length; i++) {
    const t = rawTrees[i] as unknown;
    if (!isRecord(t)) return err(`trees[${i}] must be an object`);
    const fields = {
      feature: numbers(t['feature'], true),
      threshold: numbers(t['threshold'], false),
      left: numbers(t['left'], true),
      right: numbers(t['right'], true),
      value: numbers(t['value'], false),
      cover: numbers(t['cover'], false),
      gain: numbers(t['gain'], false),
    };
    for (const [name, v] of Object.entries(fields)) {
      if (v === undefined) return err(`trees[${i}].${name} must be an array of numbers`);
    }
    const tree: Tree = {
      feature: Int32Array.from(fields.feature as number[]),
      threshold: Float64Array.from(fields.threshold as number[]),
      left: Int32Array.from(fields.left as number[]),
      right: Int32Array.from(fields.right as number[]),
      value: Float64Array.from(fields.value as number[]),
      cover: Float64Array.from(fields.cover as number[]),
      gain: Float64Array.from(fields.gain as number[]),
    };
    const problem = checkTree(tree, names.length);
    if (problem) return err(`trees[${i}] ${problem}`);
    trees.push(tree);
  }
  return ok({ featureNames: names as string[], baseScore, trees, params });
};
