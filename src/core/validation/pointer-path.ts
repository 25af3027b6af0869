/**
 * `/children/0/days` → `children[0].days` (the path style of every Rekindle error): a TypeBox
 * error's JSON pointer, under `prefix` ('query', 'params'…; '' for a body).
 */
export const pointerToPath = (pointer: string, prefix: string): string => {
  const parts = pointer
    .split('/')
    .slice(1)
    .map((p) => p.replaceAll('~1', '/').replaceAll('~0', '~'));
  let out = prefix;
  for (const p of parts) out += /^\d+$/.test(p) ? `[${p}]` : out === '' ? p : `.${p}`;
  return out === '' ? '(root)' : out;
};
