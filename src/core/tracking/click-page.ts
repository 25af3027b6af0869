/** The page of an unknown or expired short link (no hint of which codes exist). */
export const LINK_NOT_FOUND_HTML = `<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>链接无效 / Link not found</title></head>
<body style="font-family: system-ui, sans-serif; max-width: 32rem; margin: 3rem auto; padding: 0 1rem">
<h1>链接无效</h1><p>这个链接不存在或已失效。</p>
<h2 lang="en">Link not found</h2><p lang="en">This link does not exist or is no longer valid.</p>
</body></html>
`;

/** Only web addresses are followed: a stored value of another scheme (javascript:, data:) is never. */
export const isRedirectable = (url: string): boolean => /^https?:\/\/[^/\s]/i.test(url);
