import type { Clock } from '../core/clock.ts';

/** The wall clock, for the shell to hand to the core (which never reads it itself). */
export const systemClock: Clock = () => Date.now();
