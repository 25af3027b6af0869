import type { FormItemProps } from 'antd';

/** What each channel's field group gets: its fields, where to send changes, and their problems. */
export interface ChannelFieldsProps<S> {
  value: S;
  onChange: (value: S) => void;
  /** A field's (`title`, `fields`, …) error status and words for its Form.Item; `{}` when none. */
  help: (field: string) => Partial<Pick<FormItemProps, 'validateStatus' | 'help'>>;
  /** The prefix of the fields' test ids: `in_app`, or `variant-B-in_app` in a variant. */
  testId: string;
}

/** Templates are code: a monospace box keeps `{{ }}` and JSON easy to read. */
export const codeStyle = {
  fontFamily: 'ui-monospace, SFMono-Regular, Menlo, Consolas, monospace',
  fontSize: 13,
};
