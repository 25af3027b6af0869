/**
 * A compact set of strings that remembers only a 64-bit fingerprint of each: 8 bytes a member
 * (16 at worst, the table is kept under half full) instead of ~100 for a `Set<string>`, and no
 * cap at 2^24 members. `has` can answer a false "yes" (about n²/2^65 times over n members), never
 * a false "no" — so a hit is only a reason to check the exact answer elsewhere.
 */
export class FingerprintSet {
  private slots: Int32Array;
  private mask: number;
  private count = 0;
  private h1 = 0;
  private h2 = 0;

  constructor(initialCapacity = 1 << 16) {
    let cap = 1 << 4;
    while (cap < initialCapacity * 2) cap *= 2;
    this.slots = new Int32Array(cap * 2);
    this.mask = cap - 1;
  }

  get size(): number {
    return this.count;
  }

  has(text: string): boolean {
    this.hash(text);
    return this.find(this.h1, this.h2, this.slots, this.mask) < 0;
  }

  /** Adds `text`; answers whether its fingerprint was there already. */
  add(text: string): boolean {
    this.hash(text);
    const at = this.find(this.h1, this.h2, this.slots, this.mask);
    if (at < 0) return true;
    this.slots[at] = this.h1;
    this.slots[at + 1] = this.h2;
    if (++this.count * 2 > this.mask + 1) this.grow();
    return false;
  }

  /** Slot index (pair offset) to insert at when absent; -1 when present. */
  private find(h1: number, h2: number, slots: Int32Array, mask: number): number {
    let i = h1 & mask;
    for (;;) {
      const a = slots[i * 2] ?? 0;
      const b = slots[i * 2 + 1] ?? 0;
      if (a === 0 && b === 0) return i * 2;
      if (a === h1 && b === h2) return -1;
      i = (i + 1) & mask;
    }
  }

  private grow(): void {
    const old = this.slots;
    const cap = (this.mask + 1) * 2;
    const slots = new Int32Array(cap * 2);
    const mask = cap - 1;
    for (let j = 0; j < old.length; j += 2) {
      const a = old[j] ?? 0;
      const b = old[j + 1] ?? 0;
      if (a === 0 && b === 0) continue;
      const at = this.find(a, b, slots, mask);
      slots[at] = a;
      slots[at + 1] = b;
    }
    this.slots = slots;
    this.mask = mask;
  }

  /** Two independent 32-bit hashes (FNV-1a and a Murmur-style mix), each finalised with fmix32. */
  private hash(text: string): void {
    let a = 0x811c9dc5;
    let b = 0x9747b28c ^ text.length;
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      a = Math.imul(a ^ c, 0x01000193);
      let k = Math.imul(c, 0xcc9e2d51);
      k = Math.imul((k << 15) | (k >>> 17), 0x1b873593);
      b ^= k;
      b = Math.imul((b << 13) | (b >>> 19), 5) + 0xe6546b64;
    }
    a = fmix(a);
    b = fmix(b ^ text.length);
    // (0, 0) marks an empty slot.
    if (a === 0 && b === 0) b = 1;
    this.h1 = a | 0;
    this.h2 = b | 0;
  }
}

const fmix = (h: number): number => {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h;
};
