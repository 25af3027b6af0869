import {
  Alert,
  Button,
  Card,
  Checkbox,
  Form,
  Input,
  InputNumber,
  Radio,
  Space,
  Switch,
  Typography,
} from 'antd';
import { formatCents } from '../../lib/format.ts';
import { useI18n } from '../../lib/i18n.tsx';
import type { EditorChannel, EditorState, VariantState } from './campaign-types.ts';
import { isMoreChannel } from './channel-content.ts';
import { MoreChannelFields } from './MoreChannelFields.tsx';
import type { RenderedChannel } from '../../lib/draft-preview.ts';
import { newVariant, ownOfferKept } from './definition.ts';
import type { PlacedProblem } from './field-errors.ts';
import { SmsChecks } from './SmsChecks.tsx';

const fill = (s: string, values: Record<string, string | number>) =>
  s.replace(/\{(\w+)\}/g, (whole, k: string) => (k in values ? String(values[k]) : whole));

const NEXT_IDS = 'ABCDEFGHIJ';

/** A field's problems (server or draft preview), next to it. */
export const fieldHelp = (problems: readonly PlacedProblem[], anchor: string) => {
  const mine = problems.filter((p) => p.anchor === anchor);
  return mine.length === 0
    ? {}
    : {
        validateStatus: 'error' as const,
        help: (
          <span data-testid={`field-error-${anchor}`}>
            {mine.map((p) => (
              <div key={`${p.label}${p.text}`}>{`${p.label} ${p.text}`}</div>
            ))}
          </span>
        ),
      };
};

/** A variant's own content of a channel starts as the campaign's, as it reads now, to be changed. */
const startFrom = (v: VariantState, ch: EditorChannel, s: EditorState): Partial<VariantState> =>
  isMoreChannel(ch)
    ? { more: { ...v.more, [ch]: structuredClone(s.more[ch]) } }
    : ch === 'push'
      ? { push: { ...s.push } }
      : { sms: { text: s.sms.text, signature: s.sms.signature } };

/**
 * The A/B variants: each one's share of the treated users (the shares add up to 100 %), the
 * channels it is reached on, its own content per channel (else the campaign's), and its offer:
 * the campaign's, none, or its own coupon (an offer test, e.g. ¥5 vs ¥10 vs none).
 */
export const VariantEditor = ({
  s,
  onChange,
  problems,
  rendered,
}: {
  s: EditorState;
  onChange: (variants: VariantState[]) => void;
  problems: readonly PlacedProblem[];
  /** The draft preview of each variant's own SMS, by variant id. */
  rendered: Record<string, RenderedChannel | null | undefined>;
}) => {
  const { t, locale } = useI18n();
  const total = s.variants.reduce((a, v) => a + v.share, 0);
  const campaignOffer =
    s.offerAmountCents !== null && s.offerAmountCents > 0
      ? formatCents(locale, s.offerAmountCents)
      : t('ced.ab.offerNone');
  const set = (i: number, v: Partial<VariantState>) =>
    onChange(s.variants.map((x, j) => (j === i ? { ...x, ...v } : x)));
  const add = () => {
    const id =
      [...NEXT_IDS].find((c) => !s.variants.some((v) => v.id === c)) ?? String(s.variants.length + 1);
    onChange([...s.variants, newVariant(id, Math.max(0, 100 - total), s)]);
  };
  const even = () => {
    const n = s.variants.length;
    const each = Math.floor(100 / n);
    onChange(s.variants.map((v, i) => ({ ...v, share: i === 0 ? 100 - each * (n - 1) : each })));
  };
  return (
    <Space orientation="vertical" style={{ width: '100%' }} data-testid="variant-editor">
      {total !== 100 && (
        <Alert
          type="error"
          showIcon
          data-testid="variant-shares-error"
          title={fill(t('ced.ab.sharesSum'), { n: total })}
        />
      )}
      <Typography.Text type="secondary">{t('ced.ab.offerNote')}</Typography.Text>
      {s.variants.map((v, i) => (
        <Card
          key={v.id}
          size="small"
          title={fill(t('ced.field.variant'), { id: v.id })}
          data-testid={`variant-${v.id}`}
          extra={
            <Button
              size="small"
              danger
              disabled={s.variants.length <= 2}
              title={s.variants.length <= 2 ? t('ced.ab.atLeastTwo') : undefined}
              onClick={() => onChange(s.variants.filter((_, j) => j !== i))}
            >
              {t('ced.ab.remove')}
            </Button>
          }
        >
          <Form.Item label={t('ced.field.share')} {...fieldHelp(problems, `variant:${v.id}`)}>
            <InputNumber
              min={0}
              max={100}
              value={v.share}
              onChange={(x) => set(i, { share: typeof x === 'number' ? Math.round(x) : 0 })}
              suffix="%"
              data-testid={`variant-${v.id}-share`}
            />
          </Form.Item>
          <Form.Item label={t('ced.ab.offer')} {...fieldHelp(problems, `variant:${v.id}:offer`)}>
            <Space wrap>
              <Radio.Group
                optionType="button"
                size="small"
                value={v.offer}
                onChange={(e) => set(i, { offer: e.target.value as VariantState['offer'] })}
                options={[
                  { value: 'inherit', label: fill(t('ced.ab.offerInherit'), { offer: campaignOffer }) },
                  { value: 'none', label: t('ced.ab.offerNone') },
                  { value: 'custom', label: t('ced.ab.offerCustom') },
                ]}
                data-testid={`variant-${v.id}-offer`}
              />
              {v.offer === 'custom' &&
                (ownOfferKept(v) ? (
                  // An own offer the form cannot show (not a fixed amount, set through the API): kept.
                  <Typography.Text type="secondary">{t('ced.ab.offerKept')}</Typography.Text>
                ) : (
                  <InputNumber
                    min={0.01}
                    precision={2}
                    prefix="¥"
                    style={{ width: 180 }}
                    value={v.offerCents === null ? null : v.offerCents / 100}
                    onChange={(x) =>
                      set(i, { offerCents: typeof x === 'number' ? Math.round(x * 100) : null })
                    }
                    addonAfter={t('ced.offerCoupon')}
                    data-testid={`variant-${v.id}-offer-amount`}
                  />
                ))}
            </Space>
          </Form.Item>
          <Form.Item label={t('ced.ab.channels')} extra={t('ced.ab.channelsHint')}>
            <Checkbox.Group
              value={v.channels}
              onChange={(x) => set(i, { channels: x as EditorChannel[] })}
              options={s.channels.map((c) => ({ value: c, label: t(`ced.channel.${c}`) }))}
            />
          </Form.Item>
          {s.channels.map((ch) => (
            <div key={ch}>
              <Form.Item label={fill(t('ced.ab.ownContent'), { channel: t(`ced.channel.${ch}`) })}>
                <Switch
                  checked={v.own[ch] === true}
                  onChange={(x) => set(i, { own: { ...v.own, [ch]: x }, ...(x ? startFrom(v, ch, s) : {}) })}
                  data-testid={`variant-${v.id}-own-${ch}`}
                />
              </Form.Item>
              {v.own[ch] === true && isMoreChannel(ch) && (
                <MoreChannelFields
                  channel={ch}
                  more={v.more}
                  onChange={(more) => set(i, { more })}
                  help={(field) => fieldHelp(problems, `variant:${v.id}:${ch}.${field}`)}
                  testId={`variant-${v.id}-${ch}`}
                />
              )}
              {v.own[ch] === true && ch === 'push' && (
                <>
                  <Form.Item
                    label={t('ced.field.pushTitle')}
                    {...fieldHelp(problems, `variant:${v.id}:push.title`)}
                  >
                    <Input
                      value={v.push.title}
                      onChange={(e) => set(i, { push: { ...v.push, title: e.target.value } })}
                    />
                  </Form.Item>
                  <Form.Item
                    label={t('ced.field.pushBody')}
                    {...fieldHelp(problems, `variant:${v.id}:push.body`)}
                  >
                    <Input.TextArea
                      value={v.push.body}
                      onChange={(e) => set(i, { push: { ...v.push, body: e.target.value } })}
                    />
                  </Form.Item>
                </>
              )}
              {v.own[ch] === true && ch === 'sms' && (
                <>
                  <Form.Item
                    label={t('ced.field.smsSignature')}
                    {...fieldHelp(problems, `variant:${v.id}:sms.signature`)}
                  >
                    <Input
                      value={v.sms.signature}
                      onChange={(e) => set(i, { sms: { ...v.sms, signature: e.target.value } })}
                    />
                  </Form.Item>
                  <Form.Item
                    label={t('ced.field.smsText')}
                    {...fieldHelp(problems, `variant:${v.id}:sms.text`)}
                  >
                    <Input.TextArea
                      value={v.sms.text}
                      onChange={(e) => set(i, { sms: { ...v.sms, text: e.target.value } })}
                      data-testid={`variant-${v.id}-sms-text`}
                    />
                  </Form.Item>
                  <SmsChecks
                    rendered={rendered[v.id]}
                    maxSegments={s.sms.maxSegments}
                    testId={`variant-${v.id}-sms-checks`}
                  />
                </>
              )}
            </div>
          ))}
        </Card>
      ))}
      <Space wrap>
        <Button onClick={add} disabled={s.variants.length >= 10}>
          {t('ced.ab.add')}
        </Button>
        <Button onClick={even}>{t('ced.ab.even')}</Button>
      </Space>
    </Space>
  );
};
