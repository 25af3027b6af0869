import { Worker } from 'node:worker_threads';
import { normaliseFile, type StageItem } from './normalise-stage.ts';
import { ImportFileError, type ImportFormat } from './import-report.ts';
import { unpackBatch, type PackedBatch } from './packed-batch.ts';

export interface ToWorker {
  credit: number;
  now: number;
}
export type FromWorker =
  | { item: StageItem }
  | { packed: PackedBatch }
  | { done: true }
  | { failed: { message: string; kind?: ImportFileError['kind'] } };

/**
 * Batches (of ~2 048 records) the worker may run ahead of the importing thread. Enough to keep
 * it busy while this thread appends a whole chunk (100 000 rows) without turning to its inbox:
 * with 8 it could run only 16 k records ahead, a fraction of one chunk.
 */
const CREDIT = 64;

/**
 * The worker runs the project's TypeScript directly, like the CLI: it registers tsx's loader
 * first. Undefined when the loader cannot be found (then the import runs on one thread).
 */
const workerBootstrap = (): string | undefined => {
  try {
    // Compiled (dist/, scripts/build-cli.mjs): the worker's entry is compiled too, no loader needed.
    if (import.meta.url.endsWith('.js'))
      return `import(${JSON.stringify(new URL('./import-worker.js', import.meta.url).href)})`;
    const tsx = import.meta.resolve('tsx/esm/api');
    const entry = new URL('./import-worker.ts', import.meta.url).href;
    return `import(${JSON.stringify(tsx)}).then((m) => { m.register(); return import(${JSON.stringify(entry)}); })`;
  } catch {
    return undefined;
  }
};

/**
 * `normaliseFile` on a worker thread, so reading and validating overlap with deduplication and
 * commits on this one. Yields the same items in the same order. If the worker cannot start, the
 * work is done here instead.
 */
export async function* normaliseFileInWorker(options: {
  path: string;
  format?: ImportFormat | undefined;
  clock: () => number;
}): AsyncGenerator<StageItem, void, undefined> {
  const code = workerBootstrap();
  if (code === undefined) {
    yield* normaliseFile(options);
    return;
  }
  const worker = new Worker(code, {
    eval: true,
    workerData: { path: options.path, format: options.format, now: options.clock(), credit: CREDIT },
  });
  const queue: FromWorker[] = [];
  let crashed: Error | undefined;
  let exited = false;
  let wake: (() => void) | undefined;
  const notify = () => {
    wake?.();
    wake = undefined;
  };
  worker.on('message', (m: FromWorker) => {
    queue.push(m);
    notify();
  });
  worker.on('error', (e: Error) => {
    crashed = e;
    notify();
  });
  worker.on('exit', () => {
    exited = true;
    notify();
  });
  let received = 0;
  try {
    for (;;) {
      const m = queue.shift();
      if (m === undefined) {
        if (crashed !== undefined) {
          if (received > 0) throw crashed;
          // The worker never started (its loader failed): do the work on this thread.
          yield* normaliseFile(options);
          return;
        }
        if (exited) throw new Error('the import worker stopped unexpectedly');
        await new Promise<void>((resolve) => (wake = resolve));
        continue;
      }
      received++;
      if ('done' in m) return;
      if ('failed' in m) {
        const f = m.failed;
        throw f.kind === undefined ? new Error(f.message) : new ImportFileError(f.message, f.kind);
      }
      yield 'packed' in m ? unpackBatch(m.packed) : m.item;
      worker.postMessage({ credit: 1, now: options.clock() } satisfies ToWorker);
    }
  } finally {
    await worker.terminate();
  }
}
