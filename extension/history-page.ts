/**
 * The history view's page: the dashboard's timeline, the instance's data and the event table, under a strict content
 * security policy (nothing from the network, no inline style, only its own script, by nonce). Free of the vscode
 * module so a browser test can serve exactly this page.
 */
export interface HistoryPageParts {
  /** The webview's source for its own files (webview.cspSource). */
  cspSource: string;
  nonce: string;
  scriptUri: string;
  styleUri: string;
  instanceId: string;
}

export function historyPageHtml(parts: HistoryPageParts): string {
  const csp = `default-src 'none'; img-src ${parts.cspSource}; style-src ${parts.cspSource}; script-src 'nonce-${parts.nonce}';`;
  return `<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<link rel="stylesheet" href="${escapeHtml(parts.styleUri)}">
<title>History</title></head><body>
<h1 id="title">Loading ${escapeHtml(parts.instanceId)}…</h1><dl id="facts"></dl><div id="timeline"></div>
<table id="events"><thead><tr><th>#</th><th>time</th><th>event</th><th>details</th></tr></thead><tbody></tbody></table>
<script nonce="${parts.nonce}" src="${escapeHtml(parts.scriptUri)}"></script>
</body></html>`;
}

/** Instance ids are the user's (any string the API accepted): never markup in the page. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (char) => `&#${char.charCodeAt(0)};`);
}
