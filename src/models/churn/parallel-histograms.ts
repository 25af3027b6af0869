import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import {
  addHistogram,
  buildHistogram,
  histogramLength,
  splitPoint,
  type HistogramData,
  type HistogramEngine,
} from '../../core/models/churn/histogram.ts';

/** Slots of the shared control words. */
export const CTRL = {
  /** Bumped by the trainer for every command. */
  seq: 0,
  command: 1,
  start: 2,
  end: 3,
  /** The last `seq` the worker finished. */
  done: 4,
  /** 1 while the worker serves an attached data set. */
  ready: 5,
  build: 1,
  detach: 2,
} as const;

export interface AttachMessage {
  control: SharedArrayBuffer;
  bins: SharedArrayBuffer;
  grad: SharedArrayBuffer;
  hess: SharedArrayBuffer;
  rows: SharedArrayBuffer;
  hist: SharedArrayBuffer;
  d: number;
}

const ATTACH_TIMEOUT_MS = 30_000;

const workerBootstrap = (): string | undefined => {
  try {
    // Compiled (dist/, scripts/build-cli.mjs): the worker's entry is compiled too, no loader needed.
    if (import.meta.url.endsWith('.js'))
      return `import(${JSON.stringify(new URL('./histogram-worker.js', import.meta.url).href)})`;
    const tsx = import.meta.resolve('tsx/esm/api');
    const entry = new URL('./histogram-worker.ts', import.meta.url).href;
    return `import(${JSON.stringify(tsx)}).then((m) => { m.register(); return import(${JSON.stringify(entry)}); })`;
  } catch {
    return undefined;
  }
};

const shared = (bytes: number): SharedArrayBuffer => new SharedArrayBuffer(Math.max(8, bytes));

/**
 * Histograms on two threads: the trainer's thread builds the first half of a node's rows, a
 * worker the second half (the same cut and the same sum as `SerialHistograms`, so models are
 * bit-identical). Hand-off is through shared memory and `Atomics.wait`/`notify`, no messages
 * per node; nodes too small to cut are built here alone. The trainer stays synchronous.
 */
export class ParallelHistograms implements HistogramEngine {
  private readonly control = new Int32Array(shared(8 * 4));
  private data: HistogramData | undefined;
  private hist = new Float64Array(shared(8));
  private attached = false;

  private constructor(private readonly worker: Worker) {}

  /** A started engine, or undefined when this machine has one core or the worker cannot start. */
  static async start(): Promise<ParallelHistograms | undefined> {
    if (availableParallelism() < 2) return undefined;
    const code = workerBootstrap();
    if (code === undefined) return undefined;
    const worker = new Worker(code, { eval: true });
    worker.unref();
    const started = await new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => resolve(false), ATTACH_TIMEOUT_MS);
      worker.once('message', () => {
        clearTimeout(timer);
        resolve(true);
      });
      worker.once('error', () => {
        clearTimeout(timer);
        resolve(false);
      });
    });
    if (!started) {
      await worker.terminate();
      return undefined;
    }
    return new ParallelHistograms(worker);
  }

  allocateBytes(length: number): Uint8Array {
    return new Uint8Array(shared(length), 0, length);
  }

  allocateDoubles(length: number): Float64Array {
    return new Float64Array(shared(length * 8), 0, length);
  }

  allocateIndices(length: number): Uint32Array {
    return new Uint32Array(shared(length * 4), 0, length);
  }

  attach(data: HistogramData): void {
    const buffers = [data.bins, data.grad, data.hess, data.rows].map((a) => a.buffer);
    if (!buffers.every((b) => b instanceof SharedArrayBuffer)) {
      throw new Error('ParallelHistograms needs the arrays it allocated');
    }
    this.data = data;
    this.hist = new Float64Array(shared(histogramLength(data.d) * 8));
    const message: AttachMessage = {
      control: this.control.buffer,
      bins: data.bins.buffer as SharedArrayBuffer,
      grad: data.grad.buffer as SharedArrayBuffer,
      hess: data.hess.buffer as SharedArrayBuffer,
      rows: data.rows.buffer as SharedArrayBuffer,
      hist: this.hist.buffer,
      d: data.d,
    };
    this.worker.postMessage(message);
    // The worker answers by raising `ready`; until then (or if it never does) work stays here.
    this.attached = Atomics.wait(this.control, CTRL.ready, 0, ATTACH_TIMEOUT_MS) !== 'timed-out';
  }

  private command(kind: number, start = 0, end = 0): number {
    const c = this.control;
    Atomics.store(c, CTRL.command, kind);
    Atomics.store(c, CTRL.start, start);
    Atomics.store(c, CTRL.end, end);
    const seq = Atomics.add(c, CTRL.seq, 1) + 1;
    Atomics.notify(c, CTRL.seq);
    return seq;
  }

  private await(seq: number): void {
    for (;;) {
      const done = Atomics.load(this.control, CTRL.done);
      if (done === seq) return;
      Atomics.wait(this.control, CTRL.done, done);
    }
  }

  build(hist: Float64Array, start: number, end: number): void {
    const g = this.data;
    if (!g) throw new Error('histogram engine used before attach');
    const mid = splitPoint(start, end);
    if (mid === end || !this.attached) {
      buildHistogram(hist, g.bins, g.d, g.grad, g.hess, g.rows, start, mid);
      if (mid < end) {
        buildHistogram(this.hist, g.bins, g.d, g.grad, g.hess, g.rows, mid, end);
        addHistogram(hist, this.hist, g.d);
      }
      return;
    }
    const seq = this.command(CTRL.build, mid, end);
    buildHistogram(hist, g.bins, g.d, g.grad, g.hess, g.rows, start, mid);
    this.await(seq);
    addHistogram(hist, this.hist, g.d);
  }

  detach(): void {
    if (this.attached) this.await(this.command(CTRL.detach));
    this.attached = false;
    this.data = undefined;
  }

  async close(): Promise<void> {
    await this.worker.terminate();
  }
}
