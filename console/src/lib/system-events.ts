/** Rekindle's own state-change events (tier, lifecycle, warnings…), as the server names them. */
export { SYSTEM_EVENT_NAMES } from '../../../src/core/events/system-events.ts';
