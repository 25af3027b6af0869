import type { FieldProblem, PartCheck } from '../core/campaigns/validate.ts';
import { validateContents } from '../core/content/index.ts';
import { validateOffer } from '../core/offers/index.ts';

/**
 * The checks of a campaign's parts whose schemas live in their own modules: every content object
 * (its channel's fields, templates that parse, SMS / push / e-mail rules), each variant's content,
 * and the offers (the campaign's, each variant's own).
 */
const contentCheck: PartCheck = (def) => {
  const problems: FieldProblem[] = [];
  const main = validateContents(def.content, 'content');
  if (!main.ok) problems.push(...main.error);
  def.variants.forEach((v, i) => {
    if (!v.content) return;
    const r = validateContents(v.content, `variants[${i}].content`);
    if (!r.ok) problems.push(...r.error);
  });
  return problems;
};

const offerCheck: PartCheck = (def) => {
  const problems: FieldProblem[] = [];
  if (def.offer !== undefined) {
    const r = validateOffer(def.offer, 'offer');
    if (!r.ok) problems.push(...r.error);
  }
  // A variant's own offer is checked like the campaign's; null (no offer) and absent (the campaign's) need none.
  def.variants.forEach((v, i) => {
    if (v.offer === undefined || v.offer === null) return;
    const r = validateOffer(v.offer, `variants[${i}].offer`);
    if (!r.ok) problems.push(...r.error);
  });
  return problems;
};

export const CAMPAIGN_PART_CHECKS: readonly PartCheck[] = [contentCheck, offerCheck];
