/**
 * Every string the console shows, in English and Simplified Chinese (the default). Each area
 * keeps its own dictionary under `dict/` so that work on one area does not touch another's file;
 * a key must be unique across all of them (checked by test/console-i18n).
 */
import * as audiences from './dict/audiences.ts';
import * as base from './dict/base.ts';
import * as campaignEditor from './dict/campaign-editor.ts';
import * as campaignTasks from './dict/campaign-tasks.ts';
import * as demo from './dict/demo.ts';
import * as reports from './dict/reports.ts';
import * as settings from './dict/settings.ts';
import * as shell from './dict/shell.ts';
import * as team from './dict/team.ts';

/** Each area's dictionary, by name (the i18n test checks that no key appears in two). */
export const AREAS = { base, audiences, campaignEditor, campaignTasks, demo, reports, settings, shell, team };

export const en = {
  ...base.en,
  ...audiences.en,
  ...campaignEditor.en,
  ...campaignTasks.en,
  ...demo.en,
  ...reports.en,
  ...settings.en,
  ...shell.en,
  ...team.en,
};

export type MessageKey = keyof typeof en;
export type Locale = 'zh-CN' | 'en';

export const zhCN: Record<MessageKey, string> = {
  ...base.zhCN,
  ...audiences.zhCN,
  ...campaignEditor.zhCN,
  ...campaignTasks.zhCN,
  ...demo.zhCN,
  ...reports.zhCN,
  ...settings.zhCN,
  ...shell.zhCN,
  ...team.zhCN,
};
