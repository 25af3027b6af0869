export interface BlockedWordHit {
  /** The word as configured. */
  word: string;
  /** As it appears in the text (case may differ). */
  found: string;
  index: number;
}

const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * Every occurrence of every blocked word, ignoring case (Unicode-aware, so indexes stay those
 * of the original text), in order of position.
 */
export const findBlockedWords = (text: string, words: readonly string[]): BlockedWordHit[] => {
  const hits: BlockedWordHit[] = [];
  for (const word of new Set(words.map((w) => w.trim()).filter((w) => w !== ''))) {
    for (const m of text.matchAll(new RegExp(escapeRegExp(word), 'giu')))
      hits.push({ word, found: m[0], index: m.index });
  }
  return hits.sort((a, b) => a.index - b.index || a.word.localeCompare(b.word));
};
