/** Console strings for the app shell (menu, session, permissions, 404), in English and Simplified Chinese. */
export const en = {
  'perm.needAdmin': 'Only an admin may do this',
  'perm.needOperator': 'Only an operator or an admin may do this',
  'perm.needReviewer': 'Only a reviewer or an admin may do this',
  'perm.needNotViewer': 'Viewers may only look',
  'perm.ownerOnly': 'Only its owner or an admin may do this',
  'perm.notOwnCampaign': 'You cannot review your own campaign',
  'perm.signedOut': 'Log in first',
} as const;

export const zhCN: Record<keyof typeof en, string> = {
  'perm.needAdmin': '仅管理员可执行此操作',
  'perm.needOperator': '仅运营或管理员可执行此操作',
  'perm.needReviewer': '仅审核员或管理员可执行此操作',
  'perm.needNotViewer': '只读成员仅可查看',
  'perm.ownerOnly': '仅创建人或管理员可执行此操作',
  'perm.notOwnCampaign': '不能审核自己创建的任务',
  'perm.signedOut': '请先登录',
};
