import type { AlertCondition } from './rules.ts';

/** The JSON a webhook destination receives (signed; see docs/automation.md). */
export const webhookBody = (c: AlertCondition, firedAt: number, workspaceId: string): string =>
  JSON.stringify({
    type: 'rekindle.alert',
    workspaceId,
    rule: { id: c.ruleId, kind: c.ruleKind },
    condition: c.key,
    title: c.title,
    text: c.text,
    details: c.details,
    firedAt: new Date(firedAt).toISOString(),
  });

/** A WeCom group robot message: markdown, title in bold, then the text. */
export const wecomRobotBody = (c: AlertCondition, firedAt: number): string =>
  JSON.stringify({
    msgtype: 'markdown',
    markdown: {
      content: `**[Rekindle] ${c.title}**\n${c.text}\n> ${new Date(firedAt).toISOString()}`,
    },
  });
