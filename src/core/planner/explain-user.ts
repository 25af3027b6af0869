import { words, type Words } from '../words.ts';
import {
  holdoutWords,
  messageStatusWords,
  notConsideredWords,
  skipWords,
  type NotConsidered,
} from './decision-words.ts';

/**
 * "Why wasn't this user reached?" (issue 17): from what was recorded about one user in one
 * campaign — planned messages, the planner's skips and holdouts, the triggers — one outcome and
 * the reasons in words. Pure; the shell (planner/user-decision.ts) reads the facts.
 */

export interface ExplainFacts {
  campaignStatus: string;
  triggered: boolean;
  runs: readonly { runId: string; snapshotId: string | null; membersPurged: boolean }[];
  messages: readonly { status: string }[];
  decisions: readonly { decision: string; reason: string | null; detail: string | null }[];
  triggers: readonly { status: string; reason: string | null }[];
  userKnown: boolean;
  /** Snapshots of `runs` that hold the user. */
  inSnapshots: ReadonlySet<string>;
}

export type Outcome = 'sent' | 'planned' | 'not_delivered' | 'holdout' | 'skipped' | 'not_considered';

export interface Explanation {
  outcome: Outcome;
  summary: Words;
  notConsidered: { code: NotConsidered; words: Words }[];
}

const SENT = new Set(['sent', 'delivered']);
const WAITING = new Set(['pending', 'sending']);

export const explainUser = (f: ExplainFacts): Explanation => {
  const none: Explanation['notConsidered'] = [];
  const firstWith = (set: ReadonlySet<string>) => f.messages.find((m) => set.has(m.status));
  const sent = firstWith(SENT);
  if (sent) return { outcome: 'sent', summary: messageStatusWords(sent.status), notConsidered: none };
  const waiting = firstWith(WAITING);
  if (waiting)
    return { outcome: 'planned', summary: messageStatusWords(waiting.status), notConsidered: none };
  const lost = f.messages[0];
  if (lost)
    return { outcome: 'not_delivered', summary: messageStatusWords(lost.status), notConsidered: none };
  if (f.triggers.some((t) => t.status === 'waiting'))
    return {
      outcome: 'planned',
      summary: words('已触发，到期后进入规划', 'triggered; it is planned when due'),
      notConsidered: none,
    };
  const held =
    f.decisions.find((d) => d.decision === 'holdout') ?? f.triggers.find((t) => t.status === 'holdout');
  if (held) return { outcome: 'holdout', summary: holdoutWords(held.reason), notConsidered: none };
  const skipped =
    f.decisions.find((d) => d.decision === 'skipped') ?? f.triggers.find((t) => t.status === 'skipped');
  if (skipped)
    return {
      outcome: 'skipped',
      summary: skipWords(skipped.reason ?? 'not_planned', 'detail' in skipped ? skipped.detail : null),
      notConsidered: none,
    };

  const why: NotConsidered[] = [];
  if (!f.userKnown) why.push('user_unknown');
  if (f.triggered) {
    if (f.triggers.length === 0) why.push(f.campaignStatus === 'running' ? 'no_trigger' : 'campaign_not_run');
  } else if (f.runs.length === 0) why.push('campaign_not_run');
  else if (f.inSnapshots.size === 0) {
    // Members of a purged snapshot are gone: we cannot tell, and say so rather than guess.
    why.push(f.runs.every((r) => r.membersPurged) ? 'members_purged' : 'not_in_audience');
  }
  const notConsidered = why.map((code) => ({
    code,
    words: notConsideredWords(code, { status: f.campaignStatus }),
  }));
  const first = notConsidered[0];
  return {
    outcome: 'not_considered',
    summary: first
      ? first.words
      : words(
          '在人群中但没有记录到决策（可能仍在等待阶梯的下一步）',
          'in the audience, but no decision was recorded (perhaps waiting for a ladder step)',
        ),
    notConsidered,
  };
};
