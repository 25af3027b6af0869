import { err, ok, type Result } from '../../result.ts';
import { resolveGbdtParams, type GbdtModel, type GbdtParams } from './gbdt.ts';
import { checkTree, type Tree } from './tree.ts';
import {
  CHURN_MODEL_KINDS,
  checkChurnModel,
  gbdtChurnModel,
  type ChurnModel,
  type ChurnModelKind,
} from './churn-model.ts';
import type { LogisticModel } from './logistic.ts';
import type { PlattScaling } from './platt.ts';

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

/** A stored model's JSON text or parsed value as an object, or why it is not one. */
const modelDocument = (input: string | unknown): Result<Record<string, unknown>, string> => {
  let doc: unknown = input;
  if (typeof input === 'string') {
    try {
      doc = JSON.parse(input);
    } catch (e) {
      return err(`not JSON: ${e instanceof Error ? e.message : String(e)}`);
    }
  }
  return isRecord(doc) ? ok(doc) : err('a model must be a JSON object');
};

/** Reads a model from its JSON text or parsed value; says precisely what is wrong otherwise. */
export const deserializeGbdt = (input: string | unknown): Result<GbdtModel, string> => {
  const parsed = modelDocument(input);
  if (!parsed.ok) return parsed;
  const doc = parsed.value;
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

/**
 * Format 2: the chosen model (trees, logistic regression, or their blend) with its Platt
 * calibration. Format 1 documents (trees only, uncalibrated) still load, as a 'gbdt' model
 * without calibration, so models stored before keep scoring exactly as they did.
 */
export const CHURN_MODEL_FORMAT = 'rekindle-churn-model';
export const CHURN_MODEL_FORMAT_VERSION = 2;

export interface LogisticModelJson {
  mean: number[];
  scale: number[];
  intercept: number;
  coef: number[];
}

export interface ChurnModelJson {
  format: typeof CHURN_MODEL_FORMAT;
  version: typeof CHURN_MODEL_FORMAT_VERSION;
  kind: ChurnModelKind;
  featureNames: string[];
  blendWeight: number;
  calibration: { method: 'platt'; a: number; b: number } | null;
  gbdt: GbdtModelJson | null;
  logistic: LogisticModelJson | null;
}

export const churnModelToJson = (m: ChurnModel): ChurnModelJson => ({
  format: CHURN_MODEL_FORMAT,
  version: CHURN_MODEL_FORMAT_VERSION,
  kind: m.kind,
  featureNames: [...m.featureNames],
  blendWeight: m.blendWeight,
  calibration: m.calibration ? { method: 'platt', a: m.calibration.a, b: m.calibration.b } : null,
  gbdt: m.gbdt ? gbdtToJson(m.gbdt) : null,
  logistic: m.logistic
    ? {
        mean: Array.from(m.logistic.mean),
        scale: Array.from(m.logistic.scale),
        intercept: m.logistic.intercept,
        coef: Array.from(m.logistic.coef),
      }
    : null,
});

export const serializeChurnModel = (m: ChurnModel): string => JSON.stringify(churnModelToJson(m));

const finiteNumber = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);

/** Reads a stored churn model of format 2, or a format 1 trees-only document. */
export const deserializeChurnModel = (input: string | unknown): Result<ChurnModel, string> => {
  const parsed = modelDocument(input);
  if (!parsed.ok) return parsed;
  const doc = parsed.value;
  if (doc['format'] === GBDT_FORMAT) {
    const g = deserializeGbdt(doc);
    return g.ok ? ok(gbdtChurnModel(g.value)) : g;
  }
  if (doc['format'] !== CHURN_MODEL_FORMAT)
    return err(`format is ${JSON.stringify(doc['format'])}, expected "${CHURN_MODEL_FORMAT}"`);
  if (doc['version'] !== CHURN_MODEL_FORMAT_VERSION) {
    return err(
      `version ${JSON.stringify(doc['version'])} is not supported (this build reads ${CHURN_MODEL_FORMAT_VERSION})`,
    );
  }
  const kind = doc['kind'];
  if (typeof kind !== 'string' || !(CHURN_MODEL_KINDS as readonly string[]).includes(kind))
    return err(`kind must be one of ${CHURN_MODEL_KINDS.join(', ')}`);
  const names = doc['featureNames'];
  if (!Array.isArray(names) || !names.every((n) => typeof n === 'string'))
    return err('featureNames must be an array of strings');
  const blendWeight = doc['blendWeight'];
  if (!finiteNumber(blendWeight)) return err('blendWeight must be a finite number');
  const cal = doc['calibration'];
  let calibration: PlattScaling | null = null;
  if (cal !== null) {
    if (!isRecord(cal) || cal['method'] !== 'platt' || !finiteNumber(cal['a']) || !finiteNumber(cal['b']))
      return err('calibration must be null or {"method": "platt", "a": number, "b": number}');
    calibration = { method: 'platt', a: cal['a'], b: cal['b'] };
  }
  let gbdt: GbdtModel | null = null;
  if (doc['gbdt'] !== null && doc['gbdt'] !== undefined) {
    const g = deserializeGbdt(doc['gbdt']);
    if (!g.ok) return err(`gbdt: ${g.error}`);
    gbdt = g.value;
  }
  let logistic: LogisticModel | null = null;
  const lr = doc['logistic'];
  if (lr !== null && lr !== undefined) {
    if (!isRecord(lr)) return err('logistic must be an object');
    const mean = numbers(lr['mean'], false);
    const scale = numbers(lr['scale'], false);
    const coef = numbers(lr['coef'], false);
    if (!mean || !scale || !coef) return err('logistic.mean, .scale and .coef must be arrays of numbers');
    if (!finiteNumber(lr['intercept'])) return err('logistic.intercept must be a finite number');
    logistic = {
      featureNames: names as string[],
      mean: Float64Array.from(mean),
      scale: Float64Array.from(scale),
      intercept: lr['intercept'],
      coef: Float64Array.from(coef),
    };
  }
  const model: ChurnModel = {
    kind: kind as ChurnModelKind,
    featureNames: names as string[],
    gbdt,
    logistic,
    blendWeight,
    calibration,
  };
  const problem = checkChurnModel(model);
  return problem ? err(problem) : ok(model);
};
