import { mkdir, open, readFile, type FileHandle } from 'node:fs/promises';
import { dirname } from 'node:path';
import {
  decodeClickLines,
  encodeClickLine,
  type JournaledClick,
} from '../core/tracking/click-journal-line.ts';
import {
  raiseClickIdSequence,
  reserveClickIds,
  storeClicksOnce,
  type LinkClick,
  type LinkTarget,
} from '../storage/control/link-clicks.ts';
import type { SqlClient } from '../storage/control/sql-client.ts';
import type { ClickSink } from './click-recorder.ts';

export interface ClickJournalOptions {
  /** How long durable clicks wait to be stored together in the control plane. */
  applyMs?: number;
  /** The most clicks one control-plane transaction stores. */
  maxBatch?: number;
  /** The journal is emptied once everything in it is stored and it has grown past this. */
  truncateBytes?: number;
  /** `link_clicks` ids reserved per round trip. */
  idBlock?: number;
  /** Told when storing fails (the clicks stay journaled and are tried again). */
  onError?: (e: unknown) => void;
}

interface Waiting {
  click: JournaledClick;
  resolve: () => void;
  reject: (e: unknown) => void;
}

const RETRY_MS = 1000;

/**
 * Clicks made durable in a local append-only file before their redirect is answered, and stored
 * in the control plane in large batches afterwards (features.md F3; docs/architecture.md).
 *
 * Why: a control-plane transaction per group of concurrent clicks cost ~100 µs of PGlite's CPU
 * per click, on the event loop, and the 32 concurrent clients of the benchmark never made a group
 * larger than 32. Here the clicks of the same few milliseconds share one write and one
 * `fdatasync`; the redirect of each waits for its group's sync, and the control plane receives
 * them every `applyMs` in batches of hundreds, where a click costs a fraction of that.
 *
 * Exactly once: every click carries a `link_clicks` id reserved from the table's sequence before
 * it is journaled, and is inserted with `ON CONFLICT (id) DO NOTHING`; the first click of a message
 * is marked with `ON CONFLICT DO NOTHING` too and only a fresh mark writes the `clicked` log entry.
 * So the journal may be replayed whole at start (after kill -9, a crash between a batch's commit
 * and the journal's truncation): clicks already stored are not stored again.
 *
 * One journal per file and process (`acquireClickJournal`): the data directory's lock keeps other
 * processes out.
 */
export class ClickJournal implements ClickSink {
  private readonly applyMs: number;
  private readonly maxBatch: number;
  private readonly truncateBytes: number;
  private readonly idBlock: number;
  private readonly ready: Promise<void>;
  private isReady = false;
  private closed = false;
  private file: FileHandle | undefined;
  private fileBytes = 0;
  /** Replayed at open: clicks found in the journal and stored again (or found stored). */
  replayed = 0;

  private ids: number[] = [];
  private idAt = 0;
  private refilling: Promise<void> | null = null;

  private group: Waiting[] = [];
  private writing: Promise<void> | null = null;
  private durable: JournaledClick[] = [];
  private applying: Promise<unknown> | null = null;
  /** Clicks waiting for the open or for ids before they are journaled. */
  private readonly slow = new Set<Promise<void>>();
  private timer: NodeJS.Timeout | null = null;
  private truncateWanted = false;
  private lastApplyAt = -Infinity;

  constructor(
    private readonly db: SqlClient,
    private readonly path: string,
    private readonly options: ClickJournalOptions = {},
  ) {
    this.applyMs = options.applyMs ?? 200;
    this.maxBatch = options.maxBatch ?? 5000;
    this.truncateBytes = options.truncateBytes ?? 4 * 1024 * 1024;
    this.idBlock = options.idBlock ?? 4096;
    this.ready = this.openAndReplay().then(() => {
      this.isReady = true;
    });
    // A failed open is answered to every click (and to `idle`); it is not an unhandled rejection.
    this.ready.catch(() => undefined);
  }

  /** Resolves once the journal left by the previous process is stored and the file is open. */
  opened(): Promise<void> {
    return this.ready;
  }

  record(click: LinkClick, message: LinkTarget['message']): Promise<void> {
    if (this.closed) return Promise.reject(new Error('the click journal is closed'));
    const id = this.isReady ? this.takeId() : undefined;
    if (id !== undefined) return this.enqueue({ ...click, id, message });
    const slow = this.recordSlow(click, message);
    this.slow.add(slow);
    const forget = () => this.slow.delete(slow);
    slow.then(forget, forget);
    return slow;
  }

  private async recordSlow(click: LinkClick, message: LinkTarget['message']): Promise<void> {
    await this.ready;
    let id = this.takeId();
    while (id === undefined) {
      await this.refill();
      id = this.takeId();
    }
    return this.enqueue({ ...click, id, message });
  }

  private enqueue(click: JournaledClick): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.group.push({ click, resolve, reject });
      this.writing ??= this.writeLoop();
    });
  }

  private takeId(): number | undefined {
    const id = this.ids[this.idAt];
    if (id === undefined) return undefined;
    this.idAt += 1;
    if (this.ids.length - this.idAt < this.idBlock / 2) void this.refill().catch(() => undefined);
    return id;
  }

  private refill(): Promise<void> {
    this.refilling ??= reserveClickIds(this.db, this.idBlock)
      .then((fresh) => {
        this.ids = [...this.ids.slice(this.idAt), ...fresh];
        this.idAt = 0;
      })
      .finally(() => {
        this.refilling = null;
      });
    return this.refilling;
  }

  /** One write and one sync per group: the clicks that arrived while the previous group synced. */
  private async writeLoop(): Promise<void> {
    const file = this.file;
    if (!file) throw new Error('the click journal is not open');
    for (;;) {
      if (this.truncateWanted && this.caughtUp()) {
        this.truncateWanted = false;
        await file.truncate(0);
        this.fileBytes = 0;
      }
      if (this.group.length === 0) break;
      const batch = this.group;
      this.group = [];
      const text = batch.map((w) => encodeClickLine(w.click)).join('');
      try {
        await file.write(text);
        await file.datasync();
        this.fileBytes += Buffer.byteLength(text);
      } catch (e) {
        // Not acknowledged: a line that reached the file anyway is stored at most once on replay.
        for (const w of batch) w.reject(e);
        continue;
      }
      for (const w of batch) this.durable.push(w.click);
      // Before the answers go out: when the control plane is not busy with clicks, the store starts
      // now, so a reader in this process that asks after the redirect (PGlite serves its callers in
      // order) sees the click; under load, stores gather for `applyMs`.
      this.scheduleApply();
      for (const w of batch) w.resolve();
    }
    this.writing = null;
  }

  private caughtUp(): boolean {
    return this.durable.length === 0 && this.applying === null && this.timer === null;
  }

  private scheduleApply(wait?: number): void {
    if (this.applying || this.timer) return;
    // A full batch, or the first clicks after a quiet spell, go at once; otherwise clicks gather
    // until `applyMs` after the previous store began (fewer, larger transactions under load).
    const delay =
      wait ??
      (this.durable.length >= this.maxBatch
        ? 0
        : Math.max(0, this.applyMs - (performance.now() - this.lastApplyAt)));
    if (delay === 0) {
      void this.runApply();
      return;
    }
    this.timer = setTimeout(() => {
      this.timer = null;
      void this.runApply();
    }, delay);
  }

  /**
   * Stores every durable click, in batches; false when a store failed (the clicks stay
   * journaled and are tried again in a while).
   */
  private runApply(): Promise<boolean> {
    this.lastApplyAt = performance.now();
    const run = (async () => {
      while (this.durable.length > 0) {
        const batch = this.durable.slice(0, this.maxBatch);
        try {
          await this.store(batch);
        } catch (e) {
          this.options.onError?.(e);
          return false;
        }
        this.durable.splice(0, batch.length);
      }
      return true;
    })();
    this.applying = run;
    void run.then((stored) => {
      this.applying = null;
      if (!stored) this.scheduleApply(RETRY_MS);
      else if (this.durable.length > 0) this.scheduleApply();
      else if (this.fileBytes >= this.truncateBytes) this.wantTruncate();
    });
    return run;
  }

  private wantTruncate(): void {
    if (!this.file) return;
    this.truncateWanted = true;
    this.writing ??= this.writeLoop();
  }

  private store(clicks: readonly JournaledClick[]): Promise<void> {
    return storeClicksOnce(this.db, clicks);
  }

  private async openAndReplay(): Promise<void> {
    await mkdir(dirname(this.path), { recursive: true });
    let text = '';
    try {
      text = await readFile(this.path, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    }
    const { clicks } = decodeClickLines(text);
    for (let i = 0; i < clicks.length; i += this.maxBatch)
      await this.store(clicks.slice(i, i + this.maxBatch));
    this.replayed = clicks.length;
    // Ids handed out from here on are above every stored click, whatever the sequence forgot.
    await raiseClickIdSequence(this.db);
    const file = await open(this.path, 'a');
    try {
      await file.truncate(0);
      await file.datasync();
      // The file's directory entry must survive a power cut too, not only its contents.
      const dir = await open(dirname(this.path), 'r');
      try {
        await dir.sync();
      } finally {
        await dir.close();
      }
    } catch (e) {
      await file.close();
      throw e;
    }
    this.file = file;
    await this.refill();
  }

  /** Resolves when every click recorded so far is stored in the control plane. */
  async idle(): Promise<void> {
    await this.ready;
    for (;;) {
      if (this.slow.size > 0) await Promise.allSettled([...this.slow]);
      else if (this.writing) await this.writing;
      else if (this.applying) await this.applying;
      else if (this.durable.length > 0) {
        if (this.timer) clearTimeout(this.timer);
        this.timer = null;
        // A store that fails is retried later: `idle` says so rather than waiting on it.
        if (!(await this.runApply())) throw new Error('clicks could not be stored yet; they stay journaled');
      } else return;
    }
  }

  /** Stores what was recorded, empties the journal and closes it; later clicks are refused. */
  async close(): Promise<void> {
    if (this.closed) return;
    try {
      await this.idle();
    } finally {
      this.closed = true;
    }
    if (this.timer) clearTimeout(this.timer);
    const file = this.file;
    this.file = undefined;
    if (!file) return;
    if (this.durable.length === 0) await file.truncate(0);
    await file.close();
  }
}

const journals = new Map<string, { journal: ClickJournal; users: number }>();

/**
 * The process's journal at `path` (opened and replayed on first use); every server of the
 * process built on the same data directory shares it. `release` closes it with its last user.
 */
export const acquireClickJournal = (
  db: SqlClient,
  path: string,
  options: ClickJournalOptions = {},
): { journal: ClickJournal; release: () => Promise<void> } => {
  let entry = journals.get(path);
  if (!entry) {
    entry = { journal: new ClickJournal(db, path, options), users: 0 };
    journals.set(path, entry);
  }
  entry.users += 1;
  const held = entry;
  let released = false;
  return {
    journal: held.journal,
    release: async () => {
      if (released) return;
      released = true;
      held.users -= 1;
      if (held.users > 0) return;
      if (journals.get(path) === held) journals.delete(path);
      await held.journal.close();
    },
  };
};

/** Every journal of the process stored (for readers that must see acknowledged clicks at once). */
export const settleClickJournals = async (): Promise<void> => {
  await Promise.all([...journals.values()].map((e) => e.journal.idle()));
};
