/** The public addresses of tracked links; `baseUrl` is `config.publicUrl` (no trailing slash). */
export const shortLinkUrl = (baseUrl: string, code: string): string => `${baseUrl}/l/${code}`;

export const unsubscribeUrl = (baseUrl: string, token: string): string => `${baseUrl}/u/${token}`;
