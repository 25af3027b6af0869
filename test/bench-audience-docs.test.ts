import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { audienceCases } from '../bench/audience-cases.ts';

/**
 * docs/benchmarks.md's audience table is written by the bench from `audienceCases` (name and
 * description per row); a full run takes an hour on the `large` data, so the table can lag the
 * code. This keeps the words in the table the ones the bench writes (e.g. the tier-1 cities as
 * the data holds them: 上海, 北京, 深圳, 广州).
 */
describe('benchmark audience rows', () => {
  it('describe each audience with the words the bench code writes', () => {
    const doc = readFileSync('docs/benchmarks.md', 'utf8');
    const cases = audienceCases(Date.UTC(2026, 10, 1));
    expect(cases.length).toBe(10);
    cases.forEach((c, i) => {
      expect(doc).toContain(`| ${i + 1} | **${c.name}**: ${c.description} |`);
    });
    expect(doc).not.toMatch(/Shanghai, Beijing|Shanghai or Beijing/);
  });
});
