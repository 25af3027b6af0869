import type { BinEdges } from './binning.ts';
import { histogramLength, subtractHistogram, type HistogramData, type HistogramEngine } from './histogram.ts';
import { findBestSplit, leafWeight, noSplit, type SplitChoice, type SplitRules } from './split.ts';
import type { Tree } from './tree.ts';

export interface GrowParams extends SplitRules {
  /** Leaves per tree (leaf-wise growth: the leaf with the best split is split next). */
  maxLeaves: number;
  /** Depth limit (root = 0); 0 or less for none. */
  maxDepth: number;
  learningRate: number;
}

/** A grown tree plus its thresholds as bin indices, for walking binned rows during training. */
export interface GrownTree {
  tree: Tree;
  thresholdBin: Uint8Array;
  /** Leaf i holds the rows rows[leafStart[i] … leafEnd[i]) and is node leafNode[i]. */
  leafNode: Int32Array;
  leafStart: Int32Array;
  leafEnd: Int32Array;
}

/**
 * Grows trees leaf-wise on a binned, row-major matrix. All buffers (row partition, histogram
 * pool, node arrays) are allocated once and reused by every tree. A node's rows are a
 * contiguous range of `rows`, kept in ascending order by a stable partition, so histogram
 * passes read memory forward. Only the smaller child's histogram is built; the larger one's
 * is the parent's minus it.
 */
export class TreeGrower {
  private readonly tmp: Uint32Array;
  private readonly pool: Float64Array[] = [];
  private readonly capacity: number;
  // Leaf states (at most maxLeaves at a time).
  private readonly leafNode: Int32Array;
  private readonly leafStart: Int32Array;
  private readonly leafEnd: Int32Array;
  private readonly leafDepth: Int32Array;
  private readonly leafG: Float64Array;
  private readonly leafH: Float64Array;
  private readonly leafHist: (Float64Array | null)[];
  private readonly leafSplit: SplitChoice[];

  /** The binned matrix again, column by column: a partition reads one feature of consecutive rows. */
  private readonly columns: Uint8Array[];
  private readonly d: number;

  constructor(
    private readonly data: HistogramData,
    private readonly engine: HistogramEngine,
    private readonly edges: BinEdges,
    private readonly binsPerFeature: Uint16Array,
    private readonly params: GrowParams,
  ) {
    if (params.maxLeaves < 2) throw new Error(`maxLeaves must be at least 2, got ${params.maxLeaves}`);
    this.d = data.d;
    const n = data.rows.length;
    this.columns = Array.from({ length: data.d }, () => new Uint8Array(n));
    for (let r = 0, p = 0; r < n; r++) {
      for (let f = 0; f < data.d; f++, p++) (this.columns[f] as Uint8Array)[r] = data.bins[p] as number;
    }
    this.tmp = new Uint32Array(data.rows.length);
    this.capacity = 2 * params.maxLeaves - 1;
    const L = params.maxLeaves;
    this.leafNode = new Int32Array(L);
    this.leafStart = new Int32Array(L);
    this.leafEnd = new Int32Array(L);
    this.leafDepth = new Int32Array(L);
    this.leafG = new Float64Array(L);
    this.leafH = new Float64Array(L);
    this.leafHist = new Array<Float64Array | null>(L).fill(null);
    this.leafSplit = Array.from({ length: L }, noSplit);
  }

  private takeHist(): Float64Array {
    return this.pool.pop() ?? new Float64Array(histogramLength(this.d));
  }

  private releaseHist(i: number): void {
    const h = this.leafHist[i];
    if (h) this.pool.push(h);
    this.leafHist[i] = null;
  }

  /** Whether a leaf may still be split, before looking at its histogram. */
  private splittable(count: number, depth: number, leaves: number): boolean {
    const p = this.params;
    return (
      leaves < p.maxLeaves &&
      (p.maxDepth <= 0 || depth < p.maxDepth) &&
      count >= 2 * Math.max(1, p.minSamplesLeaf)
    );
  }

  private search(i: number): void {
    const hist = this.leafHist[i] as Float64Array;
    const count = (this.leafEnd[i] as number) - (this.leafStart[i] as number);
    findBestSplit(
      hist,
      this.binsPerFeature,
      this.leafG[i] as number,
      this.leafH[i] as number,
      count,
      this.params,
      this.leafSplit[i] as SplitChoice,
    );
  }

  /** Moves the rows of [start, end) whose bin of `f` is <= `b` to the front, keeping order; returns the boundary. */
  private partition(rows: Uint32Array, start: number, end: number, f: number, b: number): number {
    const { tmp } = this;
    const column = this.columns[f] as Uint8Array;
    let l = start;
    let t = 0;
    // Branch-free: the side is data, not a jump the processor must guess (half of them wrong).
    for (let k = start; k < end; k++) {
      const r = rows[k] as number;
      const left = +((column[r] as number) <= b);
      rows[l] = r;
      tmp[t] = r;
      l += left;
      t += 1 - left;
    }
    rows.set(tmp.subarray(0, t), l);
    return l;
  }

  /**
   * One tree on the rows `data.rows[0 … count)` (reordered in place) with the per-row
   * gradients and hessians of the log-loss in `data.grad` and `data.hess`.
   */
  grow(count: number): GrownTree {
    const p = this.params;
    const { grad, hess, rows } = this.data;
    const cap = this.capacity;
    const feature = new Int32Array(cap).fill(-1);
    const threshold = new Float64Array(cap);
    const thresholdBin = new Uint8Array(cap);
    const left = new Int32Array(cap).fill(-1);
    const right = new Int32Array(cap).fill(-1);
    const value = new Float64Array(cap);
    const cover = new Float64Array(cap);
    const gain = new Float64Array(cap);

    let sumG = 0;
    let sumH = 0;
    for (let k = 0; k < count; k++) {
      const r = rows[k] as number;
      sumG += grad[r] as number;
      sumH += hess[r] as number;
    }
    let nodes = 1;
    let leaves = 1;
    cover[0] = count;
    this.leafNode[0] = 0;
    this.leafStart[0] = 0;
    this.leafEnd[0] = count;
    this.leafDepth[0] = 0;
    this.leafG[0] = sumG;
    this.leafH[0] = sumH;
    (this.leafSplit[0] as SplitChoice).feature = -1;
    if (this.splittable(count, 0, leaves)) {
      const h = this.takeHist();
      this.engine.build(h, 0, count);
      this.leafHist[0] = h;
      this.search(0);
    }

    while (leaves < p.maxLeaves) {
      // The leaf whose split gains most (first one on ties).
      let pick = -1;
      let best = 0;
      for (let i = 0; i < leaves; i++) {
        const s = this.leafSplit[i] as SplitChoice;
        if (s.feature >= 0 && s.gain > best) {
          best = s.gain;
          pick = i;
        }
      }
      if (pick < 0) break;
      const s = this.leafSplit[pick] as SplitChoice;
      const node = this.leafNode[pick] as number;
      const start = this.leafStart[pick] as number;
      const end = this.leafEnd[pick] as number;
      const depth = (this.leafDepth[pick] as number) + 1;
      const G = this.leafG[pick] as number;
      const H = this.leafH[pick] as number;
      const mid = this.partition(rows, start, end, s.feature, s.bin);

      const l = nodes++;
      const r = nodes++;
      feature[node] = s.feature;
      thresholdBin[node] = s.bin;
      threshold[node] = (this.edges[s.feature] as Float64Array)[s.bin] as number;
      left[node] = l;
      right[node] = r;
      gain[node] = s.gain;
      cover[l] = mid - start;
      cover[r] = end - mid;

      // The left child takes the parent's slot, the right child a new one.
      const li = pick;
      const ri = leaves++;
      this.leafNode[li] = l;
      this.leafNode[ri] = r;
      this.leafStart[li] = start;
      this.leafEnd[li] = mid;
      this.leafStart[ri] = mid;
      this.leafEnd[ri] = end;
      this.leafDepth[li] = depth;
      this.leafDepth[ri] = depth;
      this.leafG[li] = s.leftG;
      this.leafH[li] = s.leftH;
      this.leafG[ri] = G - s.leftG;
      this.leafH[ri] = H - s.leftH;
      (this.leafSplit[ri] as SplitChoice).feature = -1;
      s.feature = -1;

      const canL = this.splittable(mid - start, depth, leaves);
      const canR = this.splittable(end - mid, depth, leaves);
      const parentHist = this.leafHist[li] as Float64Array;
      if (canL || canR) {
        const smallIsLeft = mid - start <= end - mid;
        const small = this.takeHist();
        if (smallIsLeft) this.engine.build(small, start, mid);
        else this.engine.build(small, mid, end);
        subtractHistogram(parentHist, small, this.d);
        this.leafHist[li] = smallIsLeft ? small : parentHist;
        this.leafHist[ri] = smallIsLeft ? parentHist : small;
        if (canL) this.search(li);
        else this.releaseHist(li);
        if (canR) this.search(ri);
        else this.releaseHist(ri);
      } else this.releaseHist(li);
    }

    for (let i = 0; i < leaves; i++) {
      value[this.leafNode[i] as number] =
        p.learningRate * leafWeight(this.leafG[i] as number, this.leafH[i] as number, p.lambda);
      this.releaseHist(i);
    }
    return {
      tree: {
        feature: feature.slice(0, nodes),
        threshold: threshold.slice(0, nodes),
        left: left.slice(0, nodes),
        right: right.slice(0, nodes),
        value: value.slice(0, nodes),
        cover: cover.slice(0, nodes),
        gain: gain.slice(0, nodes),
      },
      thresholdBin: thresholdBin.slice(0, nodes),
      leafNode: this.leafNode.slice(0, leaves),
      leafStart: this.leafStart.slice(0, leaves),
      leafEnd: this.leafEnd.slice(0, leaves),
    };
  }
}
