import { err, ok, type Result } from '../result.ts';
import type { CampaignStatus, Timing } from './schema.ts';

/**
 * The campaign lifecycle (features.md D1) as a pure state machine:
 *
 *   draft ─submit→ pending_review ─approve→ approved ─schedule→ scheduled ─start→ running ─finish→ finished
 *            ↑          │reject                                   │  ↑pause/resume│
 *            └──────────┘                                        paused ←────────┘
 *   any state but finished/cancelled ─cancel→ cancelled
 *
 * An edit after approval (approved, scheduled, paused) sends the campaign back to
 * pending_review; a running campaign must be paused before it is edited.
 */
export type LifecycleAction =
  | 'update'
  | 'submit'
  | 'approve'
  | 'reject'
  | 'schedule'
  | 'start'
  | 'pause'
  | 'resume'
  | 'finish'
  | 'cancel';

const FINAL: readonly CampaignStatus[] = ['finished', 'cancelled'];

export interface LifecycleState {
  status: CampaignStatus;
  /** The version a reviewer approved, null if never; compared with the current version. */
  approvedVersion: number | null;
  version: number;
}

const refuse = (status: CampaignStatus, action: LifecycleAction, why?: string) =>
  err(why ?? `a ${status.replace('_', ' ')} campaign cannot be ${PAST[action]}`);

const PAST: Record<LifecycleAction, string> = {
  update: 'edited',
  submit: 'submitted for review',
  approve: 'approved',
  reject: 'rejected',
  schedule: 'scheduled',
  start: 'started',
  pause: 'paused',
  resume: 'resumed',
  finish: 'finished',
  cancel: 'cancelled',
};

/** Where `action` takes a campaign in `state`, or why it cannot. */
export const nextStatus = (
  state: LifecycleState,
  action: LifecycleAction,
  timing: Pick<Timing, 'kind'>,
): Result<CampaignStatus, string> => {
  const s = state.status;
  if (FINAL.includes(s)) return refuse(s, action);
  switch (action) {
    case 'update':
      if (s === 'running') return refuse(s, action, 'a running campaign cannot be edited; pause it first');
      return ok(s === 'draft' || s === 'pending_review' ? s : 'pending_review');
    case 'submit':
      return s === 'draft' ? ok('pending_review') : refuse(s, action);
    case 'approve':
    case 'reject':
      if (s !== 'pending_review') return refuse(s, action);
      return ok(action === 'approve' ? 'approved' : 'draft');
    case 'schedule':
      // A triggered campaign has no slots: once approved it is listening, i.e. running.
      if (s !== 'approved') return refuse(s, action);
      return ok(timing.kind === 'triggered' ? 'running' : 'scheduled');
    case 'start':
      return s === 'scheduled' || s === 'running' ? ok('running') : refuse(s, action);
    case 'pause':
      return s === 'scheduled' || s === 'running' ? ok('paused') : refuse(s, action);
    case 'resume':
      if (s !== 'paused') return refuse(s, action);
      if (state.approvedVersion !== state.version)
        return refuse(s, action, 'the campaign was edited since it was approved; submit it for review');
      return ok(timing.kind === 'triggered' ? 'running' : 'scheduled');
    case 'finish':
      return s === 'running' || s === 'scheduled' ? ok('finished') : refuse(s, action);
    case 'cancel':
      return ok('cancelled');
  }
};
