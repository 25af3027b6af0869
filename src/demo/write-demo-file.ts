import { createWriteStream, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { csvLines, DEMO_CSV_HEADER, ndjsonLines } from '../core/demo/format.ts';
import { generateUsers, type DemoOptions } from '../core/demo/generate.ts';
import { demoUserCount } from '../core/demo/sizes.ts';

export interface WriteDemoFileOptions extends DemoOptions {
  path: string;
  format: 'ndjson' | 'csv';
  onProgress?: (doneUsers: number, totalUsers: number) => void;
}

/** Characters gathered before a write: large enough that stream overhead does not matter. */
const CHUNK_CHARS = 1 << 20;

/**
 * Writes generated users to a file for `rekindle import` and the import benchmark: per user its
 * identify, then its events. Output is streamed with backpressure, so memory stays flat at any size.
 */
export const writeDemoFile = async (
  options: WriteDemoFileOptions,
): Promise<{ users: number; events: number; bytes: number }> => {
  const total = demoUserCount(options.size);
  const render = options.format === 'csv' ? csvLines : ndjsonLines;
  let users = 0;
  let events = 0;
  let bytes = 0;
  const take = (text: string): string => {
    bytes += Buffer.byteLength(text);
    return text;
  };
  function* chunks(): Generator<string, void, undefined> {
    if (options.format === 'csv') yield take(DEMO_CSV_HEADER);
    let parts: string[] = [];
    let size = 0;
    for (const user of generateUsers(options)) {
      size += render(user, parts);
      users++;
      events += user.events.length;
      if (size >= CHUNK_CHARS) {
        yield take(parts.join(''));
        parts = [];
        size = 0;
        options.onProgress?.(users, total);
      }
    }
    if (parts.length > 0) yield take(parts.join(''));
  }
  mkdirSync(dirname(options.path), { recursive: true });
  await pipeline(Readable.from(chunks()), createWriteStream(options.path));
  options.onProgress?.(users, total);
  return { users, events, bytes };
};
