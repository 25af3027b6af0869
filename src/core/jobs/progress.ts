/**
 * How far a long operation has come: the phase it is in and a count within the whole operation
 * (`done` of `total` steps, where a step is whatever the operation counts: campaigns snapshotted,
 * feature snapshots extracted, bytes read). Operations report it through an optional callback,
 * so the same code serves the CLI, the scheduler and the console's job view.
 */
export interface Progress {
  phase: string;
  done: number;
  total: number;
}

export type ProgressFn = (p: Progress) => void;
