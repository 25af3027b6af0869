import { createRequire } from 'node:module';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { CHDB_DIR, ChdbMissingError } from '../engine-loader.ts';

/** What the front reads of chDB's answer to a statement. */
export interface ChdbAnswer {
  readonly elapsed: number;
  readonly rowsRead: number;
  readonly bytesRead: number;
  bytes(): Uint8Array;
}

/** The part of chDB's native `Session` the front uses: one engine connection with its own settings. */
export interface ChdbSession {
  queryAsync(sql: string, opts?: { format?: string }): Promise<ChdbAnswer>;
  close(): void;
}

type SessionCtor = new (path: string) => ChdbSession;

const loadSessionCtor = (): SessionCtor => {
  for (const from of [join(CHDB_DIR, 'package.json'), join(CHDB_DIR, '..', 'package.json')]) {
    if (!existsSync(from)) continue;
    try {
      return (createRequire(from)('chdb') as { Session: SessionCtor }).Session;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'MODULE_NOT_FOUND') throw e;
    }
  }
  throw new ChdbMissingError();
};

/** A session and what its last request SET on it (undone by the next one). */
export interface PooledSession {
  session: ChdbSession;
  settings: string[];
  params: string[];
}

/**
 * Sessions on one chDB data path: each runs one statement at a time and keeps its SETs, so each
 * request borrows one for itself; several sessions run statements in parallel (chDB binds one
 * data path per process, and any number of sessions to it).
 */
export class ChdbSessionPool {
  private readonly idle: PooledSession[] = [];
  private readonly waiting: ((s: PooledSession) => void)[] = [];
  private readonly all = new Set<PooledSession>();
  private readonly Session: SessionCtor;

  constructor(
    private readonly path: string,
    size: number,
  ) {
    this.Session = loadSessionCtor();
    for (let i = 0; i < size; i++) this.idle.push(this.open());
  }

  private open(): PooledSession {
    const s: PooledSession = { session: new this.Session(this.path), settings: [], params: [] };
    this.all.add(s);
    return s;
  }

  /**
   * Runs `work` on a session of its own. A failed statement may have left part of its SETs
   * behind (one of them unknown, so not undoable by name): that session is replaced.
   */
  async with<T>(work: (s: PooledSession) => Promise<T>): Promise<T> {
    let s = this.idle.pop() ?? (await new Promise<PooledSession>((resolve) => this.waiting.push(resolve)));
    try {
      return await work(s);
    } catch (e) {
      this.all.delete(s);
      s.session.close();
      s = this.open();
      throw e;
    } finally {
      const next = this.waiting.shift();
      if (next === undefined) this.idle.push(s);
      else next(s);
    }
  }

  close(): void {
    for (const s of this.all) s.session.close();
    this.all.clear();
  }
}
