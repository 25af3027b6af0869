import { parentPort } from 'node:worker_threads';
import { buildHistogram } from '../../core/models/churn/histogram.ts';
import { CTRL, type AttachMessage } from './parallel-histograms.ts';

/**
 * Worker thread of `ParallelHistograms`: after an `attach` message it blocks on the shared
 * control words and builds the second half of each node's histogram into its shared buffer,
 * until told to detach; then it waits for the next `attach` (one training at a time).
 */
const port = parentPort;
if (port === null) throw new Error('histogram-worker.ts must run in a worker thread');

const serve = (m: AttachMessage): void => {
  const ctrl = new Int32Array(m.control);
  const bins = new Uint8Array(m.bins);
  const grad = new Float64Array(m.grad);
  const hess = new Float64Array(m.hess);
  const rows = new Uint32Array(m.rows);
  const hist = new Float64Array(m.hist);
  let seen = Atomics.load(ctrl, CTRL.seq);
  Atomics.store(ctrl, CTRL.ready, 1);
  Atomics.notify(ctrl, CTRL.ready);
  for (;;) {
    Atomics.wait(ctrl, CTRL.seq, seen);
    seen = Atomics.load(ctrl, CTRL.seq);
    if (Atomics.load(ctrl, CTRL.command) === CTRL.detach) {
      Atomics.store(ctrl, CTRL.ready, 0);
      Atomics.store(ctrl, CTRL.done, seen);
      Atomics.notify(ctrl, CTRL.done);
      return;
    }
    buildHistogram(
      hist,
      bins,
      m.d,
      grad,
      hess,
      rows,
      Atomics.load(ctrl, CTRL.start),
      Atomics.load(ctrl, CTRL.end),
    );
    Atomics.store(ctrl, CTRL.done, seen);
    Atomics.notify(ctrl, CTRL.done);
  }
};

port.on('message', (m: AttachMessage) => serve(m));
port.postMessage('started');
