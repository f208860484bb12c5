/** Opening quote → closing quote. Slack clients often turn "…" into typographic quotes. */
const QUOTES: Record<string, string> = { '"': '"', "'": "'", '\u201C': '\u201D', '\u2018': '\u2019' };

export type TokenizeResult = { ok: true; tokens: string[] } | { ok: false; message: string };

/**
 * Undoes Slack's escaping of command text (the manifest sets `should_escape: true`, so mentions arrive
 * as user ids): `&amp;`, `&lt;`, `&gt;` are decoded and a link `<https://x|label>` becomes its URL.
 * Mentions (`<@U…|name>`, `<#C…|name>`) stay as they are, for the commands that resolve them.
 */
function unescapeSlack(token: string): string {
  const link = /^<((?:https?|mailto):[^|>]+)(?:\|[^>]*)?>$/.exec(token);
  const text = link?.[1] ?? token;
  return text.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');
}

/** Splits command text on whitespace; quoted parts (straight or typographic) stay one token. */
export function tokenize(text: string): TokenizeResult {
  const tokens: string[] = [];
  let current = '';
  let inToken = false;
  let closing: string | undefined;
  for (const ch of text) {
    if (closing !== undefined) {
      if (ch === closing || (closing === '\u201D' && ch === '"')) closing = undefined;
      else current += ch;
    } else if (QUOTES[ch] !== undefined) {
      closing = QUOTES[ch];
      inToken = true;
    } else if (/\s/.test(ch)) {
      if (inToken) tokens.push(current);
      current = '';
      inToken = false;
    } else {
      current += ch;
      inToken = true;
    }
  }
  if (closing !== undefined) return { ok: false, message: `a quote is not closed (missing ${closing})` };
  if (inToken) tokens.push(current);
  return { ok: true, tokens: tokens.map(unescapeSlack) };
}
