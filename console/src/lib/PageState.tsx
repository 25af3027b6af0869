import { Alert, Empty, Spin } from 'antd';
import type { ReactNode } from 'react';
import { useErrorText } from './error-words.ts';
import { useI18n } from './i18n.tsx';
import type { AsyncState } from './use-async.ts';

/** Loading, error, and "no data yet" (a null answer: the endpoint is not there yet) in one place. */
export const PageState = <T,>({
  state,
  children,
}: {
  state: AsyncState<T | null>;
  children: (data: T) => ReactNode;
}) => {
  const { t } = useI18n();
  const say = useErrorText();
  if (state.error)
    return <Alert type="error" title={t('common.error')} description={say(state.error)} showIcon />;
  if (state.data === undefined) return <Spin description={t('common.loading')} />;
  if (state.data === null) return <Empty description={t('common.noData')} />;
  return <>{children(state.data)}</>;
};
