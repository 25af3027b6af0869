import { createContext, useCallback, useContext, useEffect, useMemo, useState, type ReactNode } from 'react';
import { api, ApiError, setUnauthorizedHandler } from './api.ts';
import type { LoginAnswer, Me } from './api-types.ts';

interface Session {
  me: Me | null;
  /** True until the first `GET /v1/auth/me` answered. */
  checking: boolean;
  /** The session ended by itself (expired or revoked), not by logging out: the login page says so. */
  expired: boolean;
  logIn: (name: string, password: string) => Promise<void>;
  logOut: () => Promise<void>;
}

const SessionContext = createContext<Session | null>(null);

/**
 * Set while this browser holds a session, so a 401 on the next visit reads as "expired" rather
 * than "never logged in". Only a flag: the session itself is the HttpOnly cookie.
 */
const SIGNED_IN = 'rekindle.signedIn';

export const SessionProvider = ({ children }: { children: ReactNode }) => {
  const [me, setMe] = useState<Me | null>(null);
  const [checking, setChecking] = useState(true);
  const [expired, setExpired] = useState(false);
  useEffect(() => {
    // The URL is left as it is: the login page shows in place of the page, which comes back after login.
    setUnauthorizedHandler(() => {
      setExpired(true);
      setMe(null);
    });
    api
      .get<Me>('/v1/auth/me')
      .then(setMe)
      .catch(() => {
        if (localStorage.getItem(SIGNED_IN) !== null) setExpired(true);
        setMe(null);
      })
      .finally(() => setChecking(false));
    return () => setUnauthorizedHandler(null);
  }, []);
  const logIn = useCallback(async (name: string, password: string) => {
    const r = await api.post<LoginAnswer>('/v1/auth/login', { name, password });
    localStorage.setItem(SIGNED_IN, '1');
    setExpired(false);
    setMe({ user: r.user, workspace: r.workspace });
  }, []);
  const logOut = useCallback(async () => {
    try {
      await api.post('/v1/auth/logout');
    } catch (e) {
      // An expired session is logged out already.
      if (!(e instanceof ApiError && e.status === 401)) throw e;
    }
    localStorage.removeItem(SIGNED_IN);
    setExpired(false);
    setMe(null);
  }, []);
  const value = useMemo(
    () => ({ me, checking, expired, logIn, logOut }),
    [me, checking, expired, logIn, logOut],
  );
  return <SessionContext.Provider value={value}>{children}</SessionContext.Provider>;
};

export const useSession = (): Session => {
  const v = useContext(SessionContext);
  if (v === null) throw new Error('useSession outside SessionProvider');
  return v;
};
