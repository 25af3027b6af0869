import { describe, expect, it } from 'vitest';
import { detailText } from '../console/src/features/audit/audit-labels.ts';

/** The audit page's details in words (console/src/features/audit/audit-labels.ts): no codes in zh-CN. */
describe('audit details in words', () => {
  it('names a provider change by its kind, the settings and the secrets changed or cleared', () => {
    const details = {
      kind: 'smtp',
      changed: ['config', 'enabled'],
      secretsChanged: ['password'],
      secretsCleared: ['dkim', 'receiptSecret'],
    };
    expect(detailText(details, 'zh-CN')).toBe(
      '类型: 邮件服务器；修改项: 配置、启用状态；已更新密钥: 密码；已清除密钥: DKIM 私钥、回执签名密钥',
    );
    expect(detailText({ kind: 'sms_http' }, 'en')).toBe('kind: SMS (HTTP gateway)');
    // A kind that is not a provider's stays as the value words give it.
    expect(detailText({ kind: 'push' }, 'zh-CN')).toBe('类型: 推送');
  });
});
