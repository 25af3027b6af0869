/**
 * Why a message became a dead letter, in plain words (zh-CN and en). `reason` is the outbox's
 * `dead_reason`: one of the worker's own codes, or a vendor's code from an adapter's failure
 * table; `lastError` (`code: vendor text`) is what the provider said, kept aside for engineers.
 * Pure; a code not listed reads as "the provider refused it" with the code.
 */

import { words as w, type Words } from '../words.ts';

export type { Words };

const REASONS: Record<string, Words> = {
  max_attempts: w('多次重试后仍失败，已放弃', 'failed on every retry; given up'),
  deferred_too_long: w(
    '服务商要求延后太久，超过计划发送时间允许的范围',
    'the provider would only take it far past its planned time',
  ),
  no_address: w('用户在该渠道没有可用的联系方式', 'the user has no address on this channel'),
  unsubscribed: w('发送前用户已退订', 'the user opted out before it was sent'),
  no_content: w('该渠道没有配置内容', 'the campaign has no content for this channel'),
  content_error: w(
    '内容渲染出错（模板变量或格式）',
    'the content failed to render (template variables or format)',
  ),
  campaign_missing: w('所属任务已不存在', 'its campaign no longer exists'),
  campaign_cancelled: w('任务已取消，未发送的消息停止', 'the campaign was cancelled before it was sent'),
  no_provider: w('该渠道没有配置服务商', 'no provider is configured for the channel'),
  interrupted_send: w(
    '发送途中进程中断，服务商可能已收到',
    'the worker stopped mid-send; the provider may have it',
  ),
  adapter_error: w('服务商接口适配出错', 'the provider adapter failed'),
  timeout: w('服务商超时未响应', 'the provider timed out'),
  connection_refused: w('无法连接服务商', 'the provider refused the connection'),
  bad_url: w('目标地址无效', 'the target URL is invalid'),
  private_target: w('目标地址是内网地址，已拒绝', 'the target is a private address; refused'),
  no_url: w('没有目标地址', 'no target URL'),
};

export const deadReasonWords = (reason: string | null): Words => {
  if (reason === null) return w('原因未记录', 'no reason recorded');
  return REASONS[reason] ?? w(`服务商拒收（代码 ${reason}）`, `the provider refused it (code ${reason})`);
};
