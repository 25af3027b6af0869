/**
 * What an operator should fix before an SMS goes to review, checked while typing on the template
 * text: length in billing parts (70 characters for one part with Chinese text, 67 per part once
 * it is split; 160/153 for GSM text), the 【signature】 carriers require, an opt-out hint, blocked
 * words, links glued to their neighbours, a second 【signature】 in the text, public short links
 * and long links. The editor runs it on the text rendered for a sample member of the audience
 * (POST /v1/campaigns/draft-preview), so `{{ name }}` is checked as the name it becomes; the
 * server checks the same rendered text again at submit (the content gate).
 */
export interface SmsCheck {
  length: number;
  parts: number;
  signatureMissing: boolean;
  optOutMissing: boolean;
  /** Blocked words in the text: the word as listed, and its position (0-based). */
  blocked: { word: string; index: number }[];
  /** Links with no space (or text edge) before or after them. */
  unspacedLinks: { url: string; index: number }[];
  /** A 【…】 in the text besides the signature: carriers take it for a second signature and refuse it. */
  secondSignatures: { text: string; index: number }[];
  /** Links on public link shorteners (t.cn, dwz.cn, bit.ly…): carriers block them as spam. */
  publicShortLinks: { url: string; host: string; index: number }[];
  /** Long links (over LONG_LINK characters): a tracked short link keeps the message in fewer parts. */
  longLinks: { url: string; index: number }[];
  /** `{{ … }}` or `{% … %}` left in the text: it was checked unrendered. */
  unrendered: boolean;
}

/** Public link shorteners Chinese carriers block as spam. */
export const PUBLIC_SHORTENERS: readonly string[] = [
  't.cn',
  'dwz.cn',
  'url.cn',
  'suo.im',
  'bit.ly',
  'tinyurl.com',
  'goo.gl',
  'is.gd',
  'ow.ly',
  'rebrand.ly',
];
export const LONG_LINK = 40;

const GSM = /^[\x20-\x7e\n\r]*$/;
/** The URL characters a carrier's link detector takes (anything else ends the link). */
const LINK = /https?:\/\/(?:\{\{\s*[A-Za-z_][A-Za-z0-9_]*\s*\}\}|[A-Za-z0-9\-._~:/?#[\]@!$&'()*+,;=%])+/g;
const isSpace = (ch: string | undefined) => ch === undefined || /\s/.test(ch);

const findWords = (text: string, words: readonly string[]) => {
  const lower = text.toLowerCase();
  const hits: { word: string; index: number }[] = [];
  for (const word of new Set(words.map((w) => w.trim()).filter((w) => w !== ''))) {
    const w = word.toLowerCase();
    for (let i = lower.indexOf(w); i >= 0; i = lower.indexOf(w, i + w.length)) hits.push({ word, index: i });
  }
  return hits.sort((a, b) => a.index - b.index);
};

const unspaced = (text: string) =>
  [...text.matchAll(LINK)].flatMap((m) => {
    const url = m[0].replace(/[.,;:!?']+$/, '');
    const ok = isSpace(text[m.index - 1]) && isSpace(text[m.index + url.length]);
    return ok ? [] : [{ url, index: m.index }];
  });

const hostOf = (url: string): string => /^https?:\/\/([^/?#:]+)/i.exec(url)?.[1]?.toLowerCase() ?? '';

const links = (text: string) =>
  [...text.matchAll(LINK)].map((m) => ({ url: m[0].replace(/[.,;:!?']+$/, ''), index: m.index }));

export const checkSms = (text: string, signature: string, blockedWords: readonly string[] = []): SmsCheck => {
  const full = `${signature}${text}`;
  const length = [...full].length;
  const gsm = GSM.test(full);
  const single = gsm ? 160 : 70;
  const multi = gsm ? 153 : 67;
  const parts = length === 0 ? 0 : length <= single ? 1 : Math.ceil(length / multi);
  return {
    length,
    parts,
    signatureMissing: !/^【[^】]+】$/.test(signature.trim()),
    optOutMissing: !/退订|STOP/i.test(text),
    blocked: findWords(text, blockedWords),
    unspacedLinks: unspaced(text),
    secondSignatures: [...text.matchAll(/【[^】]*】/g)].map((m) => ({ text: m[0], index: m.index })),
    publicShortLinks: links(text).flatMap((l) => {
      const host = hostOf(l.url);
      return PUBLIC_SHORTENERS.some((d) => host === d || host.endsWith(`.${d}`)) ? [{ ...l, host }] : [];
    }),
    longLinks: links(text).filter((l) => l.url.length > LONG_LINK),
    unrendered: /\{\{[\s\S]*?\}\}|\{%[\s\S]*?%\}/.test(text),
  };
};
