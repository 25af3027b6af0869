import type { MoreChannel, MoreContents } from './channel-content.ts';
import { CallFields } from './CallFields.tsx';
import { EmailFields } from './EmailFields.tsx';
import type { ChannelFieldsProps } from './channel-field-props.ts';
import { InAppFields } from './InAppFields.tsx';
import { WebhookFields } from './WebhookFields.tsx';
import { WecomFields } from './WecomFields.tsx';

/** The field group of one of the in-app, e-mail, WeCom, call-list and webhook channels. */
export const MoreChannelFields = ({
  channel,
  more,
  onChange,
  help,
  testId,
}: {
  channel: MoreChannel;
  more: MoreContents;
  onChange: (more: MoreContents) => void;
} & Omit<ChannelFieldsProps<never>, 'value' | 'onChange'>) => {
  const common = { help, testId };
  switch (channel) {
    case 'in_app':
      return (
        <InAppFields {...common} value={more.in_app} onChange={(v) => onChange({ ...more, in_app: v })} />
      );
    case 'email':
      return <EmailFields {...common} value={more.email} onChange={(v) => onChange({ ...more, email: v })} />;
    case 'wecom':
      return <WecomFields {...common} value={more.wecom} onChange={(v) => onChange({ ...more, wecom: v })} />;
    case 'call':
      return <CallFields {...common} value={more.call} onChange={(v) => onChange({ ...more, call: v })} />;
    case 'webhook':
      return (
        <WebhookFields {...common} value={more.webhook} onChange={(v) => onChange({ ...more, webhook: v })} />
      );
  }
};
