/** Console strings for the settings area, in English and Simplified Chinese. Keys start with a prefix only this area uses. */
export const en = {} as const;

export const zhCN: Record<keyof typeof en, string> = {};
