import { DAY_MS } from '../../time/units.ts';

/** What "churned" means for one product (features.md B2) and who is asked the question. */
export interface ChurnDefinition {
  /** Days after the cutoff in which the user must do one of `retentionEvents` to count as retained. */
  horizonDays: number;
  /** Events that count as still being a customer; null: any event. */
  retentionEvents: readonly string[] | null;
  /** Only users with an event in this many days before the cutoff are scored; 0: everyone with any history. */
  activeDays: number;
  /** Events that make a user active; null: any event. */
  activityEvents: readonly string[] | null;
}

export const defaultChurnDefinition = (horizonDays: number): ChurnDefinition => ({
  horizonDays,
  retentionEvents: null,
  activeDays: 90,
  activityEvents: null,
});

/**
 * The two snapshots of a temporal evaluation at `cutoff`. Training features are taken at
 * cutoff − horizon and labelled by the horizon that ends exactly at the cutoff; evaluation
 * features are taken at the cutoff and labelled by the horizon after it. Nothing the model
 * learns from lies at or after the cutoff, so no label leaks into training.
 */
export interface TemporalSplit {
  train: { cutoff: number; labelsUntil: number };
  evaluate: { cutoff: number; labelsUntil: number };
}

export const temporalSplit = (cutoff: number, horizonDays: number): TemporalSplit => {
  if (!Number.isFinite(cutoff)) throw new Error('cutoff must be a finite instant');
  if (!(Number.isInteger(horizonDays) && horizonDays >= 1))
    throw new Error(`horizon must be a whole number of days >= 1`);
  const h = horizonDays * DAY_MS;
  return {
    train: { cutoff: cutoff - h, labelsUntil: cutoff },
    evaluate: { cutoff, labelsUntil: cutoff + h },
  };
};
