/** The two HTML documents of the dashboard: the app's shell (the bundle renders everything) and the login form. */

/** Headers of every dashboard answer: nothing from elsewhere, not framed, not cached, not sniffed. */
export const SECURITY_HEADERS = {
  'Content-Security-Policy': "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  'X-Frame-Options': 'DENY',
} as const;

const escape = (text: string) => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** The shell the bundle mounts into. */
export function appPage(): string {
  return `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>clusterops fleet</title><link rel="stylesheet" href="/dashboard.css"></head>
<body><div id="app"><p class="loading">loading the fleet…</p></div><script type="module" src="/dashboard.js"></script></body>
</html>
`;
}

/** The login form; `refused` shows that the last token was not accepted. */
export function loginPage(options: { refused?: boolean; tokenReview?: boolean } = {}): string {
  return `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>clusterops fleet: log in</title><link rel="stylesheet" href="/dashboard.css"></head>
<body class="login">
<form method="post" action="/login" class="login-form">
<h1>clusterops fleet</h1>
<label for="token">Token</label>
<input id="token" name="token" type="password" autocomplete="current-password" autofocus required>
<p class="hint">${escape(options.tokenReview ? 'The dashboard token, or your own Kubernetes token (one that may list WorkloadClusters).' : 'The dashboard token (from --dashboard-token-file or --dashboard-token-secret).')}</p>
${options.refused ? '<p class="error" role="alert">That token is not accepted.</p>' : ''}
<button type="submit">Log in</button>
</form>
</body>
</html>
`;
}
