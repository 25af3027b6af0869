/** Milliseconds in a day: a UTC day (time zones and daylight saving are the callers' concern). */
export const DAY_MS = 86_400_000;
