const HOUR = 3600_000;

/**
 * Message ids seen in the last `windowMs` (Segment deduplicates within 24 h). Ids live in
 * hourly buckets so expiry drops a whole bucket instead of scanning every id.
 */
export class DedupWindow {
  private readonly buckets = new Map<number, Set<string>>();

  constructor(private readonly windowMs: number) {}

  has(id: string): boolean {
    for (const bucket of this.buckets.values()) if (bucket.has(id)) return true;
    return false;
  }

  add(id: string, at: number): void {
    const key = Math.floor(at / HOUR);
    let bucket = this.buckets.get(key);
    if (bucket === undefined) {
      bucket = new Set();
      this.buckets.set(key, bucket);
    }
    bucket.add(id);
  }

  expire(now: number): void {
    const oldest = Math.floor((now - this.windowMs) / HOUR);
    for (const key of this.buckets.keys()) if (key < oldest) this.buckets.delete(key);
  }

  get size(): number {
    let n = 0;
    for (const bucket of this.buckets.values()) n += bucket.size;
    return n;
  }
}
