import { parentPort, workerData } from 'node:worker_threads';
import { normaliseFile } from './normalise-stage.ts';
import { ImportFileError, type ImportFormat } from './import-report.ts';
import { packBatch } from './packed-batch.ts';
import type { FromWorker, ToWorker } from './worker-stage.ts';

/**
 * Worker thread entry: reads and validates the file (`normaliseFile`) and hands each batch to
 * the importing thread, never more than its credit ahead.
 */
const data = workerData as { path: string; format: ImportFormat | undefined; now: number; credit: number };
const port = parentPort;
if (port === null) throw new Error('import-worker.ts must run in a worker thread');

let now = data.now;
let credit = data.credit;
let wake: (() => void) | undefined;
port.on('message', (m: ToWorker) => {
  credit += m.credit;
  now = m.now;
  wake?.();
  wake = undefined;
});

const send = (m: FromWorker, transfer: ArrayBuffer[] = []): void => port.postMessage(m, transfer);

try {
  for await (const item of normaliseFile({ path: data.path, format: data.format, clock: () => now })) {
    while (credit <= 0) await new Promise<void>((resolve) => (wake = resolve));
    credit--;
    if (item.kind === 'batch') {
      // Events go as columns: one string and one transferred buffer each (packed-batch.ts).
      const { packed, transfer } = packBatch(item);
      send({ packed }, transfer);
    } else send({ item });
  }
  send({ done: true });
} catch (e) {
  send(
    e instanceof ImportFileError
      ? { failed: { message: e.message, kind: e.kind } }
      : { failed: { message: e instanceof Error ? (e.stack ?? e.message) : String(e) } },
  );
}
