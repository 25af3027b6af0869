/** What the API shows of a URL: scheme and host only (a path or query may hold a key). */
export const urlHint = (url: string): string => {
  const u = new URL(url);
  return `${u.protocol}//${u.host}/…`;
};
