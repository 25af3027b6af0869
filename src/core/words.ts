/** A sentence for operators in both console languages (the API answers both; the console picks). */
export interface Words {
  zhCN: string;
  en: string;
}

export const words = (zhCN: string, en: string): Words => ({ zhCN, en });
