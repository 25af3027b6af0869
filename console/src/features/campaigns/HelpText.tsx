import type { ReactNode } from 'react';

/**
 * A help text with template code in it (`{0}`, `{1}` in the dictionary's words): the code is what
 * the operator types, so it is shown as written, in monospace, and marked verbatim (not words to
 * translate).
 */
export const HelpText = ({ text, codes }: { text: string; codes: readonly string[] }) => {
  const parts: ReactNode[] = [];
  text.split(/(\{\d+\})/).forEach((part, i) => {
    const m = /^\{(\d+)\}$/.exec(part);
    const code = m ? codes[Number(m[1])] : undefined;
    parts.push(
      code === undefined ? (
        part
      ) : (
        <code key={i} data-verbatim style={{ fontSize: '0.95em', whiteSpace: 'nowrap' }}>
          {code}
        </code>
      ),
    );
  });
  return <>{parts}</>;
};

/** The examples of what a template can say, in every channel's help. */
export const LIQUID_EXAMPLES = ['{{ user.city }}', '{{ offer.amount_yuan }}', '{{ campaign.name }}'] as const;
export const APP_LINK_EXAMPLE = ['myapp://coupon/1'] as const;
