import type { Liquid, Template } from 'liquidjs';
import type { Channel } from '../channels/channels.ts';
import type { CompiledContent } from './compile.ts';
import { mapTemplates } from './fields.ts';
import type { ContentIssue } from './issue.ts';
import { located, templateProblems } from './liquid-errors.ts';
import type { ChannelContent } from './schema.ts';
import { templateScope, type TemplateSample, type TextLocale } from './scope.ts';

export interface RenderOptions {
  /** Epoch ms: what `'now' | date` shows (the injected clock). */
  now: number;
  /** Language of `offer.condition`; default zh-CN. */
  locale?: TextLocale;
  /**
   * The recipient's IANA time zone (see `recipientZone`): date filters format in it. Absent: the
   * engine's zone (Asia/Shanghai by default).
   */
  timezone?: string | undefined;
}

export interface Rendered<C extends ChannelContent = ChannelContent> {
  /** The content with every template replaced by its output ('' for a field that failed). */
  content: C;
  issues: ContentIssue[];
}

interface FieldResult {
  output: string;
  issues: ContentIssue[];
}

const renderField = (
  liquid: Liquid,
  template: Template[],
  scope: object,
  outputChars: number,
  channel: Channel,
  field: string,
): FieldResult => {
  const place = `${channel}.${field}`;
  const issue = (
    severity: ContentIssue['severity'],
    code: ContentIssue['code'],
    message: string,
    p: { line?: number; column?: number } = {},
  ): ContentIssue => ({
    channel,
    field,
    severity,
    code,
    message,
    ...(p.line === undefined ? {} : { line: p.line }),
    ...(p.column === undefined ? {} : { column: p.column }),
  });
  const failed = (e: unknown): FieldResult => ({
    output: '',
    issues: templateProblems(e)
      .filter((p) => p.missingVariable === undefined)
      .map((p) =>
        issue(
          'error',
          p.limit ? 'template_limit' : 'template_render',
          `${located(place, p)}: ${p.message}`,
          p,
        ),
      ),
  });

  // Strict first: it names every variable the user lacks, with its position. Only when some are
  // missing is the template rendered again leniently (they print as empty) for the output.
  let output: string;
  const warnings: ContentIssue[] = [];
  try {
    output = String(liquid.renderSync(template, scope, { strictVariables: true }));
  } catch (strictError) {
    const problems = templateProblems(strictError);
    if (problems.some((p) => p.missingVariable === undefined)) return failed(strictError);
    const seen = new Set<string>();
    for (const p of problems) {
      const name = p.missingVariable ?? '';
      if (seen.has(name)) continue;
      seen.add(name);
      warnings.push(
        issue(
          'warning',
          'missing_variable',
          `${located(place, p)}: '${name}' is not set; it renders as empty`,
          p,
        ),
      );
    }
    try {
      output = String(liquid.renderSync(template, scope));
    } catch (lenientError) {
      return failed(lenientError);
    }
  }
  if (output.length > outputChars)
    return {
      output: '',
      issues: [
        issue(
          'error',
          'output_too_large',
          `${place} renders ${output.length} characters (at most ${outputChars})`,
        ),
      ],
    };
  return { output, issues: warnings };
};

/**
 * Renders a compiled content for one user. Variables the user lacks render as empty and are
 * reported as `missing_variable` warnings (once per variable and field, at its first use);
 * variables only tested by `if` / `unless` or guarded by a leading `default` filter are not
 * reported. A field that fails to render, or renders beyond the output limit, is an error and
 * renders as ''.
 */
export const renderContent = <C extends ChannelContent>(
  compiled: CompiledContent<C>,
  sample: TemplateSample,
  options: RenderOptions,
): Rendered<C> => {
  const scope = templateScope(sample, options.now, options.locale, options.timezone);
  const issues: ContentIssue[] = [];
  const { engine } = compiled;
  const content = mapTemplates(compiled.content, (f) => {
    const template = compiled.templates.get(f.field);
    if (template === undefined) throw new Error(`${compiled.content.channel}.${f.field} was not compiled`);
    const r = renderField(
      f.html ? engine.html : engine.text,
      template,
      scope,
      engine.limits.outputChars,
      compiled.content.channel,
      f.field,
    );
    issues.push(...r.issues);
    return r.output;
  });
  return { content, issues };
};
