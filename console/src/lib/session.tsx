import { createContext, useCallback, useContext, useEffect, useMemo, useState, type ReactNode } from 'react';
import { api, ApiError } from './api.ts';
import type { LoginAnswer, Me } from './api-types.ts';

interface Session {
  me: Me | null;
  /** True until the first `GET /v1/auth/me` answered. */
  checking: boolean;
  logIn: (name: string, password: string) => Promise<void>;
  logOut: () => Promise<void>;
}

const SessionContext = createContext<Session | null>(null);

export const SessionProvider = ({ children }: { children: ReactNode }) => {
  const [me, setMe] = useState<Me | null>(null);
  const [checking, setChecking] = useState(true);
  useEffect(() => {
    api
      .get<Me>('/v1/auth/me')
      .then(setMe)
      .catch(() => setMe(null))
      .finally(() => setChecking(false));
  }, []);
  const logIn = useCallback(async (name: string, password: string) => {
    const r = await api.post<LoginAnswer>('/v1/auth/login', { name, password });
    setMe({ user: r.user, workspace: r.workspace });
  }, []);
  const logOut = useCallback(async () => {
    try {
      await api.post('/v1/auth/logout');
    } catch (e) {
      // An expired session is logged out already.
      if (!(e instanceof ApiError && e.status === 401)) throw e;
    }
    setMe(null);
  }, []);
  const value = useMemo(() => ({ me, checking, logIn, logOut }), [me, checking, logIn, logOut]);
  return <SessionContext.Provider value={value}>{children}</SessionContext.Provider>;
};

export const useSession = (): Session => {
  const v = useContext(SessionContext);
  if (v === null) throw new Error('useSession outside SessionProvider');
  return v;
};
