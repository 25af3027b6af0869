/**
 * The transactions file of `rekindle churn evaluate`: a CSV with a header naming `user_id`,
 * `timestamp` (ISO-8601 date or date-time; no zone = UTC) and `amount` (or quantity and unit
 * price), optionally an order id; rows are grouped into orders and refunds by the rules shared
 * with `rekindle btyd` (../orders.ts).
 */
export {
  groupOrders,
  lineItemLayout,
  parseInstant,
  parseLineItem,
  type LineItem,
  type LineItemLayout,
  type OrderBook,
  type OrderColumnOptions,
} from '../orders.ts';
