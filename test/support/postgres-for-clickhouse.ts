import pg from 'pg';
import { startEmbeddedPostgres } from './embedded-postgres.ts';

/**
 * PostgreSQL for the ClickHouse suites (which run outside `npm test`'s global setup): the local
 * server (127.0.0.1:5432, trust) where there is one, else a throwaway embedded one.
 */
const LOCAL_PG = 'postgres://postgres@127.0.0.1:5432/test';

const reachable = async (url: string): Promise<boolean> => {
  const c = new pg.Client({ connectionString: url, connectionTimeoutMillis: 3_000 });
  c.on('error', () => undefined);
  try {
    await c.connect();
    return true;
  } catch {
    return false;
  } finally {
    await c.end().catch(() => undefined);
  }
};

export const postgresForTest = async (): Promise<{ url: string; stop: () => Promise<void> }> => {
  if (await reachable(LOCAL_PG)) return { url: LOCAL_PG, stop: async () => undefined };
  const embedded = await startEmbeddedPostgres();
  return { url: embedded.adminUrl, stop: embedded.stop };
};
