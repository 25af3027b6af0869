/**
 * Error text that leaves the server (job errors in the API) names files the way the client knows
 * them: the server's path to an upload (`<data dir>/uploads/<random>.csv`) says where the data
 * directory is and how the host is laid out, and a stack says more. Pure: the text and the files
 * the job knows by both names.
 */

export interface KnownFile {
  /** Where the server keeps it. */
  path: string;
  /** What the client calls it. */
  name: string;
}

/** Absolute POSIX paths (two segments or more) not inside a URL; quotes and spaces end them. */
const ABSOLUTE_PATH = /(^|[\s'"`(=[])(\/(?:[^\s'"`():,;/]+\/)+([^\s'"`():,;/]*))/g;

export const publicErrorMessage = (message: string, files: readonly KnownFile[] = []): string => {
  // A stack, if one was folded into the text, ends the message.
  let out = message.split(/\n\s+at /)[0] ?? '';
  for (const f of files) if (f.path !== '') out = out.split(f.path).join(f.name);
  // Any other absolute path keeps only its last segment.
  return out.replace(
    ABSOLUTE_PATH,
    (_m, before: string, _path: string, last: string) => `${before}${last === '' ? '…' : last}`,
  );
};

/** How an upload is called in messages when the client gave it no name. */
export const UNNAMED_UPLOAD = 'the uploaded file';

/** A client-given upload name made safe to echo: one line, no directories, bounded. */
export const uploadName = (given: string | undefined): string => {
  const base = (given ?? '').split(/[\\/]/).pop() ?? '';
  const printable = [...base].filter((ch) => ch.charCodeAt(0) >= 0x20 && ch.charCodeAt(0) !== 0x7f);
  const clean = printable.join('').trim().slice(0, 200);
  return clean === '' ? UNNAMED_UPLOAD : `'${clean}'`;
};
