/** Injected time source: pure code never reads the wall clock itself (the shell's is `lib/system-clock.ts`). */
export type Clock = () => number;

export const fixedClock =
  (ms: number): Clock =>
  () =>
    ms;
