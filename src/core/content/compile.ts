import type { Template } from 'liquidjs';
import { err, ok, type Result } from '../result.ts';
import type { ContentEngine } from './engine.ts';
import { templateFields } from './fields.ts';
import type { ContentIssue } from './issue.ts';
import { located, templateProblems, type TemplateProblem } from './liquid-errors.ts';
import type { ChannelContent } from './schema.ts';

/** A content with its templates parsed once, ready to render for many users. */
export interface CompiledContent<C extends ChannelContent = ChannelContent> {
  readonly content: C;
  readonly engine: ContentEngine;
  /** Parsed template per field name (`title`, `fields.thing1`, …). */
  readonly templates: ReadonlyMap<string, Template[]>;
}

export interface ParseFailure {
  field: string;
  problem: TemplateProblem;
}

/** Parses every templated field; the failures say which field and where in it. */
export const parseTemplates = (
  content: ChannelContent,
  engine: ContentEngine,
): { templates: Map<string, Template[]>; failures: ParseFailure[] } => {
  const templates = new Map<string, Template[]>();
  const failures: ParseFailure[] = [];
  for (const f of templateFields(content)) {
    try {
      templates.set(f.field, (f.html ? engine.html : engine.text).parse(f.source));
    } catch (e) {
      for (const problem of templateProblems(e)) failures.push({ field: f.field, problem });
    }
  }
  return { templates, failures };
};

/**
 * Parses every templated field of a content. A template that does not parse is an error that
 * names the channel, the field and the line and column (`sms.text, line 2, column 7: undefined
 * filter: shout`); unknown filters and the disabled file tags (`include`, `render`, `layout`)
 * fail here, before anything is sent.
 */
export const compileContent = <C extends ChannelContent>(
  content: C,
  engine: ContentEngine,
): Result<CompiledContent<C>, ContentIssue[]> => {
  const { templates, failures } = parseTemplates(content, engine);
  if (failures.length === 0) return ok({ content, engine, templates });
  return err(
    failures.map(({ field, problem: p }) => ({
      channel: content.channel,
      field,
      severity: 'error' as const,
      code: p.limit ? ('template_limit' as const) : ('template_syntax' as const),
      message: `${located(`${content.channel}.${field}`, p)}: ${p.message}`,
      ...(p.line === undefined ? {} : { line: p.line }),
      ...(p.column === undefined ? {} : { column: p.column }),
    })),
  );
};
