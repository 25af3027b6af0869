import { createContext, useCallback, useContext, useMemo, useState, type ReactNode } from 'react';
import { en, zhCN, type Locale, type MessageKey } from './i18n-dict.ts';

export type { Locale };
const STORAGE_KEY = 'rekindle.locale';
const DICTS: Record<Locale, Record<MessageKey, string>> = { 'zh-CN': zhCN, en };

interface I18n {
  locale: Locale;
  t: (key: MessageKey) => string;
  setLocale: (l: Locale) => void;
}

const I18nContext = createContext<I18n | null>(null);

// zh-CN unless the operator chose English before (kept in localStorage, per browser).
const initialLocale = (): Locale => (localStorage.getItem(STORAGE_KEY) === 'en' ? 'en' : 'zh-CN');

export const I18nProvider = ({ children }: { children: ReactNode }) => {
  const [locale, setLocaleState] = useState<Locale>(initialLocale);
  const setLocale = useCallback((l: Locale) => {
    localStorage.setItem(STORAGE_KEY, l);
    document.documentElement.lang = l;
    setLocaleState(l);
  }, []);
  const value = useMemo<I18n>(() => ({ locale, setLocale, t: (k) => DICTS[locale][k] }), [locale, setLocale]);
  return <I18nContext.Provider value={value}>{children}</I18nContext.Provider>;
};

export const useI18n = (): I18n => {
  const v = useContext(I18nContext);
  if (v === null) throw new Error('useI18n outside I18nProvider');
  return v;
};

export type { MessageKey };
