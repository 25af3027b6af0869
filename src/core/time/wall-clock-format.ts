/**
 * An Intl formatter that reads the wall-clock parts (year … second, 24-hour) of an instant in a
 * time zone: the one way time-zone offsets are derived (demo calendar, planner windows).
 */
export const wallClockFormatter = (zone: string): Intl.DateTimeFormat =>
  new Intl.DateTimeFormat('en-US', {
    timeZone: zone,
    hourCycle: 'h23',
    year: 'numeric',
    month: 'numeric',
    day: 'numeric',
    hour: 'numeric',
    minute: 'numeric',
    second: 'numeric',
  });
