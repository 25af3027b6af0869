/**
 * Derivative-free minimisation for the BTYD maximum-likelihood fits: Nelder–Mead on the
 * logarithms of the (positive) parameters. Deterministic — same data, same answer — so fitted
 * figures can be compared across runs and machines.
 */

export interface NelderMeadOptions {
  /** Initial simplex: x0 plus `step` along each axis. */
  readonly step?: number;
  readonly maxEvaluations?: number;
  /** Converged when the simplex's values lie within this × (1 + |best|) of the best… */
  readonly fTolerance?: number;
  /** …and its vertices within this of the best vertex in every coordinate. */
  readonly xTolerance?: number;
  /**
   * Also stop when 50·n iterations improve the best value by no more than this × (1 + |best|),
   * and stop restarting when a restart gains no more: an objective with rounding noise (the
   * Pareto/NBD far from its optimum) never meets the tolerances above, and would otherwise
   * use the whole budget chasing noise.
   */
  readonly stallTolerance?: number;
  /** True where the search is at the edge of its domain: it stops there, unconverged. */
  readonly atBoundary?: (x: readonly number[]) => boolean;
}

export interface Minimum {
  readonly x: number[];
  readonly value: number;
  readonly evaluations: number;
  readonly converged: boolean;
}

/**
 * Nelder–Mead with the standard coefficients (reflection 1, expansion 2, contraction ½,
 * shrink ½). A non-finite value counts as +∞, so regions where the objective cannot be
 * evaluated are simply never entered. After convergence the simplex is rebuilt around the best
 * point and the search repeated until a restart no longer improves the value: a collapsed
 * simplex can stall on a ridge (the Pareto/NBD's β is one), and a restart frees it.
 */
export const nelderMead = (
  f: (x: readonly number[]) => number,
  x0: readonly number[],
  opts: NelderMeadOptions = {},
): Minimum => {
  const step = opts.step ?? 0.5;
  const maxEvaluations = opts.maxEvaluations ?? 5_000;
  const fTol = opts.fTolerance ?? 1e-13;
  const xTol = opts.xTolerance ?? 1e-7;
  const stallTol = opts.stallTolerance ?? 1e-10;
  const n = x0.length;
  let evaluations = 0;
  const value = (x: readonly number[]): number => {
    evaluations++;
    const v = f(x);
    return Number.isFinite(v) ? v : Infinity;
  };

  let best = { x: [...x0], value: value(x0) };
  let converged = false;
  for (let restart = 0; restart < 10 && evaluations < maxEvaluations; restart++) {
    const run = simplexSearch(
      value,
      best,
      n,
      step,
      { fTol, xTol, stallTol },
      () => evaluations < maxEvaluations,
      opts.atBoundary ?? (() => false),
    );
    const improved = best.value - run.value;
    best = run.value <= best.value ? { x: run.x, value: run.value } : best;
    converged = run.converged;
    if (!run.converged || improved <= stallTol * (1 + Math.abs(best.value))) break;
  }
  return { x: best.x, value: best.value, evaluations, converged };
};

const simplexSearch = (
  value: (x: readonly number[]) => number,
  start: { x: number[]; value: number },
  n: number,
  step: number,
  tol: { fTol: number; xTol: number; stallTol: number },
  budgetLeft: () => boolean,
  atBoundary: (x: readonly number[]) => boolean,
): { x: number[]; value: number; converged: boolean } => {
  const pts: number[][] = [start.x];
  const vals: number[] = [start.value];
  for (let i = 0; i < n; i++) {
    const p = [...start.x];
    p[i] = p[i]! + step;
    pts.push(p);
    vals.push(value(p));
  }
  const order = (): void => {
    const idx = pts.map((_, i) => i).sort((i, j) => vals[i]! - vals[j]!);
    const p = idx.map((i) => pts[i]!);
    const v = idx.map((i) => vals[i]!);
    pts.splice(0, pts.length, ...p);
    vals.splice(0, vals.length, ...v);
  };
  const along = (from: readonly number[], to: readonly number[], t: number): number[] =>
    from.map((c, k) => c + t * (to[k]! - c));

  let checkpoint = start.value;
  for (let iteration = 1; ; iteration++) {
    order();
    const bestV = vals[0]!;
    const spreadF = vals[n]! - bestV;
    const spreadX = Math.max(
      ...pts.slice(1).map((p) => Math.max(...p.map((c, k) => Math.abs(c - pts[0]![k]!)))),
    );
    const scale = 1 + Math.abs(bestV);
    if (spreadF <= tol.fTol * scale && spreadX <= tol.xTol)
      return { x: pts[0]!, value: bestV, converged: true };
    if (iteration % (50 * n) === 0) {
      if (checkpoint - bestV <= tol.stallTol * scale) return { x: pts[0]!, value: bestV, converged: true };
      checkpoint = bestV;
    }
    if (!budgetLeft() || atBoundary(pts[0]!)) return { x: pts[0]!, value: bestV, converged: false };

    const centroid = new Array<number>(n).fill(0);
    for (let i = 0; i < n; i++) for (let k = 0; k < n; k++) centroid[k] = centroid[k]! + pts[i]![k]! / n;
    const worst = pts[n]!;
    const reflected = along(centroid, worst, -1);
    const fr = value(reflected);
    if (fr < vals[0]!) {
      const expanded = along(centroid, worst, -2);
      const fe = value(expanded);
      if (fe < fr) [pts[n], vals[n]] = [expanded, fe];
      else [pts[n], vals[n]] = [reflected, fr];
      continue;
    }
    if (fr < vals[n - 1]!) {
      [pts[n], vals[n]] = [reflected, fr];
      continue;
    }
    // Contract towards the better of the worst vertex and its reflection.
    const outside = fr < vals[n]!;
    const contracted = along(centroid, outside ? reflected : worst, 0.5);
    const fc = value(contracted);
    if (fc < (outside ? fr : vals[n]!)) {
      [pts[n], vals[n]] = [contracted, fc];
      continue;
    }
    for (let i = 1; i <= n; i++) {
      pts[i] = along(pts[0]!, pts[i]!, 0.5);
      vals[i] = value(pts[i]!);
    }
  }
};

/** How far (in natural-log units) a parameter may move from its starting value: a factor e^10 ≈ 22,000. */
const LOG_BOX = 10;

/**
 * Minimises f over positive parameters by searching their logarithms: the simplex then moves
 * in relative steps, and no parameter can leave (0, ∞). The search is confined to a box of
 * e^±10 around the start: when the likelihood keeps rising towards a limiting case of the
 * model (the Pareto/NBD's s, β → ∞ with s/β fixed is a homogeneous dropout rate) the simplex
 * would otherwise follow that ridge for ever. Ending on the box's edge reports `converged: false`.
 */
export const minimizePositive = (
  f: (params: readonly number[]) => number,
  start: readonly number[],
  opts: NelderMeadOptions = {},
): Minimum => {
  const origin = start.map(Math.log);
  const clamp = (logs: readonly number[]): number[] =>
    logs.map((l, i) => Math.min(origin[i]! + LOG_BOX, Math.max(origin[i]! - LOG_BOX, l)));
  // Outside the box: the value at the nearest point of the box plus a slope away from it, which
  // the simplex handles better than a wall of +∞.
  const boxed = (logs: readonly number[]): number => {
    const inside = clamp(logs);
    const excess = logs.reduce((sum, l, i) => sum + Math.abs(l - inside[i]!), 0);
    const v = f(inside.map(Math.exp));
    return excess === 0 ? v : v + excess * (1 + Math.abs(v)) * 1e-3;
  };
  const onEdge = (logs: readonly number[]): boolean =>
    logs.some((l, i) => Math.abs(l - origin[i]!) > LOG_BOX - 1);
  const m = nelderMead(boxed, origin, { ...opts, atBoundary: onEdge });
  const x = clamp(m.x).map(Math.exp);
  const outside = m.x.some((l, i) => l !== clamp(m.x)[i]);
  return {
    x,
    value: outside ? f(x) : m.value,
    evaluations: m.evaluations + (outside ? 1 : 0),
    converged: m.converged && !onEdge(m.x),
  };
};

/** A maximum-likelihood fit. */
export interface ModelFit<P> {
  readonly params: P;
  /** The log-likelihood of the data at `params` (the maximum when `converged`). */
  readonly logLikelihood: number;
  /** False when the search ran out of evaluations or ended on the edge of its box (see `minimizePositive`). */
  readonly converged: boolean;
  readonly evaluations: number;
}

/** Why a model cannot be fitted to the data at all (no customers, nobody repeat-buying, …). */
export interface FitError {
  readonly reason: string;
}
