/** Named data-set sizes (number of users); a plain number of users is accepted wherever a size is. */
export const DEMO_SIZES = { small: 10_000, demo: 100_000, large: 1_000_000 } as const;

export type DemoSizeName = keyof typeof DEMO_SIZES;
export type DemoSize = DemoSizeName | number;

export const demoUserCount = (size: DemoSize): number => {
  const n = typeof size === 'number' ? size : DEMO_SIZES[size];
  if (!Number.isInteger(n) || n < 0 || n > 9_999_999) {
    throw new RangeError(`demo size must be a whole number of users from 0 to 9 999 999, got ${n}`);
  }
  return n;
};
