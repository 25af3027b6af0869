/**
 * The reach channels (features.md D3/F2), cheapest-to-most-intrusive as a recall ladder climbs them.
 * Consents on the profile (`consent_push`, `consent_sms`, …) and per-channel unsubscribes use
 * these names.
 */
export const CHANNELS = ['push', 'in_app', 'email', 'sms', 'wecom', 'call', 'webhook'] as const;
export type Channel = (typeof CHANNELS)[number];

export const isChannel = (s: string): s is Channel => (CHANNELS as readonly string[]).includes(s);

/**
 * Message classes: marketing messages obey every anti-disturbance rule; transactional ones
 * (order, logistics, service notices, features.md H1) bypass the marketing caps, re-eligibility and
 * marketing unsubscribes, but are still counted in the caps' history.
 */
export const MESSAGE_CLASSES = ['marketing', 'transactional'] as const;
export type MessageClass = (typeof MESSAGE_CLASSES)[number];

/** Money is counted in integer cents (fen) everywhere, so budgets add up exactly. */
export type Cents = number;
