import { TypeCompiler } from '@sinclair/typebox/compiler';
import { Value } from '@sinclair/typebox/value';
import { err, ok, type Result } from '../result.ts';
import { checkTiming } from './next-slot.ts';
import { checkLadder } from '../strategies/ladder.ts';
import { CampaignDefinition } from './schema.ts';

export interface FieldProblem {
  path: string;
  message: string;
}

const checker = TypeCompiler.Compile(CampaignDefinition);

const pointerToPath = (pointer: string): string =>
  pointer
    .split('/')
    .slice(1)
    .reduce((out, p) => (/^\d+$/.test(p) ? `${out}[${p}]` : out === '' ? p : `${out}.${p}`), '') || '(root)';

/**
 * Extra checks on the parts of a campaign whose schema lives elsewhere (content, offers);
 * injected so this module stays free of their details.
 */
export type PartCheck = (definition: CampaignDefinition) => FieldProblem[];

/**
 * A campaign definition from the outside world → the typed definition with defaults, or every
 * problem with its path (`timing.cron`, `content[1].title`, …).
 */
export const validateCampaign = (
  input: unknown,
  extraChecks: readonly PartCheck[] = [],
): Result<CampaignDefinition, FieldProblem[]> => {
  const value = Value.Default(CampaignDefinition, Value.Clone(input));
  if (!checker.Check(value)) {
    return err(
      [...checker.Errors(value)]
        .slice(0, 20)
        .map((e) => ({ path: pointerToPath(e.path), message: e.message })),
    );
  }
  const def = value;
  const problems: FieldProblem[] = [...checkTiming(def.timing)];
  const contentChannels = def.content.map((c) =>
    typeof c === 'object' && c !== null ? (c as { channel?: unknown }).channel : undefined,
  );
  def.channels.forEach((ch, i) => {
    if (!contentChannels.includes(ch))
      problems.push({ path: `channels[${i}]`, message: `no content for channel '${ch}'` });
  });
  contentChannels.forEach((ch, i) => {
    if (typeof ch !== 'string' || !(def.channels as readonly string[]).includes(ch))
      problems.push({
        path: `content[${i}].channel`,
        message: `'${String(ch)}' is not one of the campaign's channels`,
      });
  });
  const ids = new Set<string>();
  def.variants.forEach((v, i) => {
    for (const [j, ch] of (v.channels ?? []).entries())
      if (!def.channels.includes(ch))
        problems.push({
          path: `variants[${i}].channels[${j}]`,
          message: `'${ch}' is not one of the campaign's channels (${def.channels.join(', ')})`,
        });
    if (ids.has(v.id))
      problems.push({ path: `variants[${i}].id`, message: `duplicate variant id '${v.id}'` });
    ids.add(v.id);
  });
  if (def.variants.length === 1)
    problems.push({ path: 'variants', message: 'an A/B test needs at least two variants (or none)' });
  if (def.ladder) {
    problems.push(...checkLadder(def.ladder, 'ladder'));
    def.ladder.steps.forEach((s, i) => {
      if (!(def.channels as readonly string[]).includes(s.channel))
        problems.push({
          path: `ladder.steps[${i}].channel`,
          message: `'${s.channel}' is not one of the campaign's channels`,
        });
    });
    if (def.timing.kind === 'triggered')
      problems.push({ path: 'ladder', message: 'a ladder runs on scheduled slots, not on triggers' });
  }
  if (def.class === 'transactional' && def.holdoutShare > 0)
    problems.push({ path: 'holdoutShare', message: 'transactional messages have no holdout; set it to 0' });
  for (const check of extraChecks) problems.push(...check(def));
  return problems.length > 0 ? err(problems) : ok(def);
};
