import { App, Button, Space, Tooltip, type ButtonProps } from 'antd';
import { useState, type ReactNode } from 'react';
import { useNavigate } from 'react-router-dom';
import { api, ApiError } from '../../lib/api.ts';
import { useErrorText } from '../../lib/error-words.ts';
import { useI18n } from '../../lib/i18n.tsx';
import { useCan, type Allowed } from '../../lib/permissions.ts';
import { useSession } from '../../lib/session.tsx';
import type { Campaign } from './campaign-types.ts';
import type { CopyAnswer } from './campaign-task-types.ts';
import { editNeedsReview, fill } from './task-words.ts';

type Verb = 'pause' | 'resume' | 'cancel';
const ENDED = new Set(['finished', 'cancelled']);

/** What the lifecycle (src/core/campaigns/lifecycle.ts) lets each action do in this state, or why not. */
const byState = (
  c: Campaign,
  t: (
    k:
      | 'ctask.why.running'
      | 'ctask.why.final'
      | 'ctask.why.notPausable'
      | 'ctask.why.notPaused'
      | 'ctask.why.editedSinceApproval',
  ) => string,
) => {
  const no = (reason: string): Allowed => ({ allowed: false, reason });
  const yes: Allowed = { allowed: true };
  const ended = ENDED.has(c.status);
  return {
    edit: ended ? no(t('ctask.why.final')) : c.status === 'running' ? no(t('ctask.why.running')) : yes,
    pause:
      c.status === 'scheduled' || c.status === 'running'
        ? yes
        : no(t(ended ? 'ctask.why.final' : 'ctask.why.notPausable')),
    resume:
      c.status !== 'paused'
        ? no(t(ended ? 'ctask.why.final' : 'ctask.why.notPaused'))
        : c.approvedVersion !== c.version
          ? no(t('ctask.why.editedSinceApproval'))
          : yes,
    cancel: ended ? no(t('ctask.why.final')) : yes,
  };
};

const both = (a: Allowed, b: Allowed): Allowed => (a.allowed ? b : a);

/**
 * 查看 / 编辑 / 复制 / 暂停 / 恢复 / 终止 for one campaign, each disabled with the reason (its state
 * or the member's role) as a tooltip. 编辑 of an approved campaign warns that it goes back to
 * review; 终止 asks first and says what stops. `waiting`: messages not yet sent, when known.
 */
export const CampaignActions = ({
  campaign: c,
  onChanged,
  waiting,
  showView = true,
}: {
  campaign: Campaign;
  onChanged: () => void;
  waiting?: number | undefined;
  showView?: boolean;
}) => {
  const { t } = useI18n();
  const can = useCan();
  const { me } = useSession();
  const say = useErrorText();
  const navigate = useNavigate();
  const { message, modal } = App.useApp();
  const [busy, setBusy] = useState<string | null>(null);
  const state = byState(c, t);
  const owner = c.owner.id;
  const allowed = {
    edit: both(state.edit, can('campaign.update', owner)),
    copy: can('campaign.create'),
    // The server lets reviewers pause any campaign but operators only their own.
    pause: both(
      state.pause,
      me?.user.role === 'operator' && me.user.id !== owner
        ? { allowed: false, reason: t('perm.ownerOnly') }
        : can('campaign.pause', owner),
    ),
    resume: both(state.resume, can('campaign.resume', owner)),
    cancel: both(state.cancel, can('campaign.cancel', owner)),
  };
  const path = `/v1/campaigns/${encodeURIComponent(c.id)}`;

  const run = async (verb: Verb) => {
    setBusy(verb);
    try {
      await api.post(`${path}/${verb}`);
      void message.success(t(`ctask.done.${verb}`));
      onChanged();
    } catch (e) {
      if (e instanceof ApiError && e.status === 409)
        void message.error(
          t(
            verb === 'resume' && c.approvedVersion !== c.version
              ? 'ctask.fail.resumeEdited'
              : 'ctask.fail.conflict',
          ),
        );
      else void message.error(say(e));
      onChanged();
    } finally {
      setBusy(null);
    }
  };

  const copy = async () => {
    setBusy('copy');
    try {
      const r = await api.post<CopyAnswer>(`${path}/copy`);
      void message.success(
        fill(t(r.scheduleReset ? 'ctask.done.copyReset' : 'ctask.done.copy'), { name: r.campaign.name }),
      );
      onChanged();
    } catch (e) {
      void message.error(say(e));
    } finally {
      setBusy(null);
    }
  };

  const edit = () => {
    const go = () => void navigate(`/campaigns/${encodeURIComponent(c.id)}/edit`);
    if (!editNeedsReview(c)) return go();
    modal.confirm({
      title: t('ctask.editReview.title'),
      content: <span data-testid="edit-review-warning">{t('ctask.editReview.body')}</span>,
      okText: t('ctask.editReview.ok'),
      cancelText: t('common.cancel'),
      onOk: go,
    });
  };

  const cancel = () =>
    modal.confirm({
      title: fill(t('ctask.cancel.title'), { name: c.name }),
      content: (
        <span data-testid="cancel-warning">
          {waiting === undefined ? t('ctask.cancel.body') : fill(t('ctask.cancel.bodyCount'), { n: waiting })}
        </span>
      ),
      okText: t('ctask.cancel.ok'),
      okButtonProps: { danger: true, 'data-testid': 'cancel-confirm' } as ButtonProps,
      cancelText: t('common.cancel'),
      onOk: () => run('cancel'),
    });

  const button = (
    key: string,
    a: Allowed,
    label: ReactNode,
    onClick: () => void,
    danger = false,
  ): ReactNode => (
    <Tooltip key={key} title={a.allowed ? undefined : a.reason}>
      {/* A disabled button swallows the pointer: the span keeps the tooltip working. */}
      <span data-testid={`act-${key}-${c.name}`} data-reason={a.allowed ? undefined : a.reason}>
        <Button
          size="small"
          type="link"
          danger={danger}
          disabled={!a.allowed}
          loading={busy === key}
          onClick={onClick}
          style={{ paddingInline: 4 }}
        >
          {label}
        </Button>
      </span>
    </Tooltip>
  );

  const paused = c.status === 'paused';
  return (
    <Space size={0} wrap>
      {showView &&
        button(
          'view',
          { allowed: true },
          t('ctask.act.view'),
          () => void navigate(`/campaigns/${encodeURIComponent(c.id)}`),
        )}
      {button('edit', allowed.edit, t('ctask.act.edit'), edit)}
      {button('copy', allowed.copy, t('ctask.act.copy'), () => void copy())}
      {paused
        ? button('resume', allowed.resume, t('ctask.act.resume'), () => void run('resume'))
        : button('pause', allowed.pause, t('ctask.act.pause'), () => void run('pause'))}
      {button('cancel', allowed.cancel, t('ctask.act.cancel'), cancel, true)}
    </Space>
  );
};
