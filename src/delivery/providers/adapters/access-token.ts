/**
 * A cached access token (FCM OAuth2, WeChat `access_token`): fetched on first use, reused until
 * a minute before it expires, dropped when the vendor says it is no longer valid. Concurrent
 * sends share one fetch.
 */
export class AccessTokenCache<E> {
  private token: { value: string; until: number } | null = null;
  private pending: Promise<{ value: string } | E> | null = null;

  constructor(
    private readonly fetchToken: () => Promise<{ value: string; expiresInMs: number } | E>,
    private readonly now: () => number,
  ) {}

  async get(): Promise<{ value: string } | E> {
    if (this.token && this.token.until > this.now()) return { value: this.token.value };
    this.pending ??= this.fetchToken()
      .then((r) => {
        if (typeof r === 'object' && r !== null && 'value' in r && 'expiresInMs' in r) {
          const t = r as { value: string; expiresInMs: number };
          this.token = { value: t.value, until: this.now() + Math.max(0, t.expiresInMs - 60_000) };
          return { value: t.value };
        }
        return r;
      })
      .finally(() => {
        this.pending = null;
      });
    return this.pending;
  }

  invalidate(value: string): void {
    if (this.token?.value === value) this.token = null;
  }
}
