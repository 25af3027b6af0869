import type { FieldProblem, PartCheck } from '../core/campaigns/validate.ts';
import { validateContents } from '../core/content/index.ts';
import { validateOffer } from '../core/offers/index.ts';

/**
 * The checks of a campaign's parts whose schemas live in their own modules: every content object
 * (its channel's fields, templates that parse, SMS / push / e-mail rules), each variant's content,
 * and the offer.
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
  if (def.offer === undefined) return [];
  const r = validateOffer(def.offer, 'offer');
  return r.ok ? [] : r.error;
};

export const CAMPAIGN_PART_CHECKS: readonly PartCheck[] = [contentCheck, offerCheck];
