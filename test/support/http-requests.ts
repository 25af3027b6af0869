import { expect } from 'vitest';
import { processBatch } from '../../src/ingest/process-batch.ts';

/**
 * Segment calls as successive HTTP requests would bring them: each request's records get message
 * ids and share one received time, later than every earlier request's; validated as HTTP validates
 * them (none may be refused). Returns what a warehouse commit takes.
 */
export const httpRequests = (start: number) => {
  let seq = 0;
  return (messages: Record<string, unknown>[]) => {
    const receivedAt = start + ++seq;
    const p = processBatch(
      messages.map((m) => ({ messageId: `m${++seq}`, ...m })),
      { receivedAt, source: 'http' },
    );
    expect(p.errors).toEqual([]);
    return { events: p.events, identifies: p.identifies, rejections: p.rejections, rejectedAt: receivedAt };
  };
};
