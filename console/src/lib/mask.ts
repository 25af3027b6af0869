/**
 * Contacts shown in the console are masked by the server; the console masks again anything that
 * reaches the page unmasked (defence in depth) with the server's own functions, so both show
 * the same shapes (138****8000, l***@example.com). Masking a masked contact changes nothing.
 * src/core/audience/mask.ts imports nothing, so the bundle takes no server code with it.
 */
export { maskEmail, maskPhone } from '../../../src/core/audience/mask.ts';
