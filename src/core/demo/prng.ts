/** Mixes a 32-bit integer into a well-spread 32-bit hash (murmur3's finaliser). */
export const hash32 = (x: number): number => {
  let h = x | 0;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
};

const TWO_POW_32 = 4_294_967_296;

/**
 * sfc32 (Chris Doty-Humphrey's Small Fast Counter, PractRand-clean): four 32-bit words of state,
 * a few integer operations per draw. One generator is re-seeded per (seed, stream) so every demo
 * user has its own reproducible stream, independent of how many users come before it.
 */
export class Rng {
  private a = 0;
  private b = 0;
  private c = 0;
  private d = 0;

  constructor(seed: number, stream = 0) {
    this.reseed(seed, stream);
  }

  reseed(seed: number, stream: number): void {
    this.a = hash32(seed ^ 0x9e3779b9) | 0;
    this.b = hash32(stream + 0x7f4a7c15) | 0;
    this.c = hash32(Math.imul(seed, 0x01000193) ^ hash32(stream ^ 0x5bd1e995)) | 0;
    this.d = 1;
    for (let i = 0; i < 12; i++) this.next32();
  }

  /** A uniform integer in [0, 2^32). */
  next32(): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0;
    this.d = (this.d + 1) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = ((this.c << 21) | (this.c >>> 11)) + t;
    this.c |= 0;
    return t >>> 0;
  }

  /** A uniform number in [0, 1). */
  next(): number {
    return this.next32() / TWO_POW_32;
  }

  /** A uniform integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }

  /** A uniform number in [min, max). */
  range(min: number, max: number): number {
    return min + (max - min) * this.next();
  }

  chance(p: number): boolean {
    return this.next() < p;
  }

  /** A standard normal draw (Box–Muller; one value per call, the twin is discarded). */
  normal(): number {
    const u = 1 - this.next();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * this.next());
  }

  /** A log-normal draw with the given median and log-space standard deviation. */
  logNormal(median: number, sigma: number): number {
    return median * Math.exp(sigma * this.normal());
  }

  /** An exponential draw with the given mean. */
  exponential(mean: number): number {
    return -mean * Math.log(1 - this.next());
  }

  /** Number of failures before the first success, success probability p (0 < p <= 1). */
  geometric(p: number): number {
    if (p >= 1) return 0;
    return Math.floor(Math.log(1 - this.next()) / Math.log(1 - p));
  }

  /** A Poisson draw by inversion; meant for small means (the sessions of one day). */
  poisson(mean: number): number {
    const limit = Math.exp(-mean);
    let k = 0;
    let p = this.next();
    while (p > limit) {
      k++;
      p *= this.next();
    }
    return k;
  }

  /** Picks an index from cumulative weights normalised to end at 1. */
  pickCumulative(cdf: Float64Array): number {
    const u = this.next();
    const last = cdf.length - 1;
    for (let i = 0; i < last; i++) if (u < (cdf[i] as number)) return i;
    return last;
  }
}

/** Cumulative, normalised weights for `Rng.pickCumulative`. */
export const cumulative = (weights: readonly number[]): Float64Array => {
  const total = weights.reduce((s, w) => s + w, 0);
  const cdf = new Float64Array(weights.length);
  let run = 0;
  weights.forEach((w, i) => {
    run += w;
    cdf[i] = run / total;
  });
  return cdf;
};
