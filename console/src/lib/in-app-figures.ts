/**
 * In-app messages have no provider and so no delivery receipt: the reports' `delivered` never
 * counts them. What the inbox records instead is that a message was put in the user's inbox and
 * that the app marked it read (`inApp` in the campaign stats and progress). This says how a
 * campaign's funnel shows "delivered" so that it neither claims 已送达 0 for in-app nor mixes the
 * inbox into the other channels' delivery rate.
 */
export interface InAppCounts {
  stored: number;
  read: number;
}

export type DeliveredShown =
  /** No in-app messages: delivered as the providers' receipts say. */
  | { kind: 'receipts' }
  /** Only in-app: no delivered step; read (of those sent) in its place. */
  | { kind: 'inAppOnly'; read: number; stored: number }
  /** Both: delivered of the other channels' messages, and the inbox's read beside it. */
  | { kind: 'mixed'; read: number; stored: number; receiptSent: number };

export const deliveredShown = (sent: number, inApp: InAppCounts | null): DeliveredShown => {
  if (inApp === null || inApp.stored === 0) return { kind: 'receipts' };
  const receiptSent = Math.max(0, sent - inApp.stored);
  return receiptSent === 0
    ? { kind: 'inAppOnly', read: inApp.read, stored: inApp.stored }
    : { kind: 'mixed', read: inApp.read, stored: inApp.stored, receiptSent };
};
