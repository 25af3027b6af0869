import type { Cents } from '../channels/channels.ts';
import type { BonusCondition, OfferKind } from './schema.ts';

/** What an issued offer says it is and what it asks for, in Chinese and English. */
export interface ConditionText {
  zh: string;
  en: string;
}

/** 1234567.5 → "1,234,567.5"; at most two decimals, none when whole. */
export const formatNumber = (n: number): string => {
  const fixed = (Math.round(n * 100) / 100).toFixed(2).replace(/\.?0+$/, '');
  const [whole = '0', fraction] = fixed.split('.');
  const grouped = whole.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  return fraction === undefined ? grouped : `${grouped}.${fraction}`;
};

/** Cents → yuan as people write them: 2000 → "20", 2050 → "20.50", 1000000 → "10,000". */
export const formatYuan = (cents: Cents): string => {
  const whole = formatNumber(Math.trunc(cents / 100));
  const rest = Math.abs(cents % 100);
  return rest === 0 ? whole : `${whole}.${String(rest).padStart(2, '0')}`;
};

const capitalise = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);

interface Reward {
  kind: OfferKind;
  amount: number;
  minSpendCents?: number | undefined;
}

const rewardZh = ({ kind, amount, minSpendCents }: Reward): string => {
  switch (kind) {
    case 'coupon':
      return minSpendCents === undefined
        ? `无门槛减${formatYuan(amount)}元`
        : `满${formatYuan(minSpendCents)}元减${formatYuan(amount)}元`;
    case 'red_packet':
      return `${formatYuan(amount)}元红包`;
    case 'points':
      return `${formatNumber(amount)}积分`;
  }
};

const rewardEn = ({ kind, amount, minSpendCents }: Reward): string => {
  switch (kind) {
    case 'coupon':
      return minSpendCents === undefined
        ? `¥${formatYuan(amount)} off any order`
        : `¥${formatYuan(amount)} off orders of ¥${formatYuan(minSpendCents)} or more`;
    case 'red_packet':
      return `a ¥${formatYuan(amount)} red packet`;
    case 'points':
      return `${formatNumber(amount)} points`;
  }
};

/**
 * The condition text of an offer: the reward ("满100元减20元" / "¥20 off orders of ¥100 or
 * more"), preceded by what the user must do for a conditional bonus ("7天内投资满10,000元，即得
 * 1,000积分" / "Invest ¥10,000 or more within 7 days to get 1,000 points").
 */
export const conditionText = (reward: Reward, bonus?: BonusCondition): ConditionText => {
  const zh = rewardZh(reward);
  const en = rewardEn(reward);
  if (bonus === undefined) return { zh, en: capitalise(en) };
  const days = bonus.withinDays;
  const amount = bonus.minEventAmount === undefined ? undefined : formatNumber(bonus.minEventAmount);
  if (bonus.action !== undefined) {
    const { zh: doZh, en: doEn } = bonus.action;
    return amount === undefined
      ? { zh: `${days}天内${doZh}，即得${zh}`, en: capitalise(`${doEn} within ${days} days to get ${en}`) }
      : {
          zh: `${days}天内${doZh}满${amount}元，即得${zh}`,
          en: capitalise(`${doEn} ¥${amount} or more within ${days} days to get ${en}`),
        };
  }
  // Without words for the action, name the event itself.
  const needs = amount === undefined ? '' : `（满${amount}元）`;
  const needsEn = amount === undefined ? '' : ` (¥${amount} or more)`;
  return {
    zh: `${days}天内完成“${bonus.event}”${needs}，即得${zh}`,
    en: capitalise(`get ${en} when you complete "${bonus.event}"${needsEn} within ${days} days`),
  };
};
