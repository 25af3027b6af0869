/** One CSV record as read from the text. */
export interface CsvRow {
  /** 1-based line number of the record's first line in the file. */
  line: number;
  fields: string[];
  /** The record's text as it stands in the file, without its line break (kept for rejections). */
  text: string;
  /** A syntax problem that makes the fields unreliable (unterminated quote, text after a closing quote). */
  error?: string;
}

const QUOTE = 34;
const COMMA = 44;
const LF = 10;
const CR = 13;

/**
 * A streaming RFC 4180 parser: comma separated, fields optionally in double quotes (a doubled
 * quote inside is one quote), quoted fields may hold commas and line breaks, records end in LF
 * or CRLF (a lone CR is data). A leading byte-order mark is skipped; blank lines are skipped
 * but still counted, so `line` always matches what an editor shows. A syntax error affects only
 * the record it is in: that record carries `error`, and parsing resumes on the next line.
 *
 * Feed text in pieces of any size with `push`; records are only emitted once complete.
 */
export class CsvParser {
  private buf = '';
  private line = 1;
  private first = true;

  /** Parses `text` after what was pushed before; complete records are appended to `out`. */
  push(text: string, out: CsvRow[]): void {
    if (this.first && text.length > 0) {
      this.first = false;
      if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    }
    this.buf = this.buf.length === 0 ? text : this.buf + text;
    this.parse(false, out);
  }

  /** Ends the input: the last record may lack its line break. */
  end(out: CsvRow[]): void {
    this.parse(true, out);
    this.buf = '';
  }

  private parse(final: boolean, out: CsvRow[]): void {
    const s = this.buf;
    const n = s.length;
    let pos = 0;
    let line = this.line;
    // Where the record being parsed began: an incomplete one is parsed again with the next piece.
    let start = 0;
    let startLine = line;
    let incomplete = false;
    // Next comma and next line feed at or after `pos` (n when there is none): searched with
    // indexOf, which is much faster than testing each character.
    let nc = -1;
    let nn = -1;
    records: while (pos < n) {
      start = pos;
      startLine = line;
      const fields: string[] = [];
      let error: string | undefined;
      let quotedAny = false;
      let end = -1; // where the record's text ends (before its line break)
      for (;;) {
        if (pos < n && s.charCodeAt(pos) === QUOTE) {
          quotedAny = true;
          // Find the closing quote: a quote not followed by another quote.
          let from = pos + 1;
          let doubled = false;
          let close = -1;
          for (;;) {
            const q = s.indexOf('"', from);
            if (q === -1) break;
            if (q + 1 < n && s.charCodeAt(q + 1) === QUOTE) {
              doubled = true;
              from = q + 2;
              continue;
            }
            if (q + 1 >= n && !final) break; // the next piece may start with a quote
            close = q;
            break;
          }
          if (close === -1) {
            if (!final) {
              incomplete = true;
              break records;
            }
            // Unterminated: the rest of the input is this one broken record.
            line += countLineBreaks(s, start, n);
            out.push({
              line: startLine,
              fields,
              text: s.slice(start, n),
              error: 'unterminated quoted field',
            });
            pos = n;
            break records;
          }
          const raw = s.slice(pos + 1, close);
          fields.push(doubled ? raw.replaceAll('""', '"') : raw);
          if (nn < pos) nn = indexOr(s, '\n', pos, n);
          while (nn < close) {
            line++;
            nn = indexOr(s, '\n', nn + 1, n);
          }
          pos = close + 1;
        } else {
          if (nc < pos) nc = indexOr(s, ',', pos, n);
          if (nn < pos) nn = indexOr(s, '\n', pos, n);
          let i = nc < nn ? nc : nn;
          if (i >= n && !final) {
            incomplete = true;
            break records;
          }
          // CRLF: the CR belongs to the line break, not to the field.
          if (i === nn && i < n && i > pos && s.charCodeAt(i - 1) === CR) i--;
          fields.push(s.slice(pos, i));
          pos = i;
        }
        // After a field: a comma, a line break or the end of the input.
        if (pos >= n) {
          end = n;
          break;
        }
        const c = s.charCodeAt(pos);
        if (c === COMMA) {
          pos++;
          continue;
        }
        if (c === LF) {
          end = pos;
          pos++;
          line++;
          break;
        }
        if (c === CR && pos + 1 < n && s.charCodeAt(pos + 1) === LF) {
          end = pos;
          pos += 2;
          line++;
          break;
        }
        if (c === CR && pos + 1 >= n && !final) {
          // A CRLF split across pieces.
          incomplete = true;
          break records;
        }
        // Text after a closing quote: the record is malformed; skip to the end of its line.
        if (nn < pos) nn = indexOr(s, '\n', pos, n);
        if (nn >= n && !final) {
          incomplete = true;
          break records;
        }
        error = 'unexpected text after a closing quote';
        end = nn >= n ? n : s.charCodeAt(nn - 1) === CR ? nn - 1 : nn;
        pos = nn >= n ? n : nn + 1;
        if (nn < n) line++;
        break;
      }
      // A blank line is no record.
      if (fields.length === 1 && !quotedAny && error === undefined && fields[0] === '') continue;
      const row: CsvRow = { line: startLine, fields, text: s.slice(start, end) };
      if (error !== undefined) row.error = error;
      out.push(row);
    }
    if (incomplete) {
      // Stopped inside an incomplete record: keep it from its start.
      this.buf = s.slice(start);
      this.line = startLine;
    } else {
      this.buf = '';
      this.line = line;
    }
  }
}

const indexOr = (s: string, what: string, from: number, none: number): number => {
  const i = s.indexOf(what, from);
  return i === -1 ? none : i;
};

const countLineBreaks = (s: string, from: number, to: number): number => {
  let count = 0;
  let i = s.indexOf('\n', from);
  while (i !== -1 && i < to) {
    count++;
    i = s.indexOf('\n', i + 1);
  }
  return count;
};

/** Parses a whole CSV text at once (for small inputs and tests). */
export const parseCsv = (text: string): CsvRow[] => {
  const out: CsvRow[] = [];
  const p = new CsvParser();
  p.push(text, out);
  p.end(out);
  return out;
};
