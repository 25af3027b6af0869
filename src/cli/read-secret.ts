import type { Readable } from 'node:stream';

/**
 * Reads a secret (a password) from standard input: the first line, without its line ending.
 * Secrets never come from argv, where `ps` and shell history would show them.
 */
export const readSecretLine = async (input: Readable): Promise<string> => {
  input.setEncoding('utf8');
  let text = '';
  for await (const chunk of input) {
    text += String(chunk);
    const nl = text.indexOf('\n');
    if (nl >= 0) {
      text = text.slice(0, nl);
      break;
    }
  }
  return text.replace(/\r$/, '');
};
