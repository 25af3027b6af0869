/**
 * Gauss–Legendre quadrature: n nodes integrate polynomials of degree 2n−1 exactly and smooth
 * functions to near machine precision. Nodes are the roots of the Legendre polynomial P_n,
 * found by Newton's method from the Tricomi approximation (Numerical Recipes' gauleg).
 */

export interface Rule {
  /** Nodes on [−1, 1]. */
  readonly nodes: Float64Array;
  readonly weights: Float64Array;
}

export const gaussLegendre = (n: number): Rule => {
  if (!(Number.isInteger(n) && n >= 1)) throw new RangeError(`gaussLegendre: ${n} nodes`);
  const nodes = new Float64Array(n);
  const weights = new Float64Array(n);
  for (let i = 0; i < Math.ceil(n / 2); i++) {
    let x = Math.cos((Math.PI * (i + 0.75)) / (n + 0.5));
    let derivative = 0;
    for (let iteration = 0; iteration < 100; iteration++) {
      // P_n(x) by the three-term recurrence, and P_n'(x) from P_n and P_{n−1}.
      let p0 = 1;
      let p1 = 0;
      for (let j = 1; j <= n; j++) {
        const p2 = p1;
        p1 = p0;
        p0 = ((2 * j - 1) * x * p1 - (j - 1) * p2) / j;
      }
      derivative = (n * (x * p0 - p1)) / (x * x - 1);
      const step = p0 / derivative;
      x -= step;
      if (Math.abs(step) <= 1e-16) break;
    }
    nodes[i] = -x;
    nodes[n - 1 - i] = x;
    weights[i] = weights[n - 1 - i] = 2 / ((1 - x * x) * derivative * derivative);
  }
  return { nodes, weights };
};
