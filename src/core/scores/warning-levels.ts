/** The levels an early-warning rule can carry, mildest first. */
export const WARNING_LEVELS = ['info', 'warning', 'critical'] as const;
export type WarningLevel = (typeof WARNING_LEVELS)[number];
