import { Alert, Modal, Typography } from 'antd';
import { useI18n, type MessageKey } from '../../lib/i18n.tsx';

/** A secret shown once (a new write key, a member's password) with a copy button and a warning. */
export const SecretOnce = ({
  open,
  title,
  warning,
  secret,
  onClose,
  testId,
}: {
  open: boolean;
  title: string;
  warning: MessageKey;
  secret: string;
  onClose: () => void;
  testId: string;
}) => {
  const { t } = useI18n();
  return (
    <Modal
      open={open}
      title={title}
      onCancel={onClose}
      onOk={onClose}
      okText={t('team.close')}
      cancelButtonProps={{ style: { display: 'none' } }}
      destroyOnHidden
    >
      <Alert type="warning" showIcon title={t(warning)} style={{ marginBottom: 12 }} />
      <Typography.Paragraph
        code
        copyable={{ text: secret, tooltips: [t('team.copy'), t('team.copied')] }}
        style={{ wordBreak: 'break-all', fontSize: 15 }}
        data-testid={testId}
      >
        {secret}
      </Typography.Paragraph>
    </Modal>
  );
};
