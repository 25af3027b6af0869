import { join } from 'node:path';
import type { RekindleConfig } from '../config.ts';
import type { DataDirLock } from '../storage/data-dir-lock.ts';
import type { SqlClient } from '../storage/control/sql-client.ts';
import { acquireClickJournal } from './click-journal.ts';
import { ClickRecorder, type ClickSink } from './click-recorder.ts';

/** The journal's file in the data directory (docs/architecture.md, "Clicks"). */
export const clickJournalPath = (dataDir: string): string => join(dataDir, 'clicks.journal');

export interface ClickSinkHandle {
  sink: ClickSink;
  /** Resolves once the sink can take clicks (a journal left by a killed process is stored first). */
  opened: Promise<void>;
  /** Stores what was recorded and lets go of the sink (the server's close). */
  release: () => Promise<void>;
}

/**
 * Where clicks go: into the local journal when this process holds the data directory (its lock
 * keeps other processes away from the file) and the control plane outlives the process; else
 * straight into the control plane, one transaction per group (a cluster of processes on
 * PostgreSQL has no directory of its own to replay from, an in-memory control plane no durability).
 */
export const openClickSink = (
  rt: {
    control: SqlClient;
    config: Pick<RekindleConfig, 'dataDir' | 'databaseUrl' | 'pgliteDir'>;
    dataDirLock: DataDirLock | undefined;
  },
  onError: (e: unknown) => void,
): ClickSinkHandle => {
  const durableControl = rt.config.databaseUrl !== undefined || !rt.config.pgliteDir.startsWith('memory://');
  if (rt.dataDirLock !== undefined && durableControl) {
    const held = acquireClickJournal(rt.control, clickJournalPath(rt.config.dataDir), { onError });
    return { sink: held.journal, opened: held.journal.opened(), release: held.release };
  }
  const recorder = new ClickRecorder(rt.control);
  return { sink: recorder, opened: Promise.resolve(), release: () => recorder.close() };
};
