// SSH keys, usage and API tokens: the account pages.
import type { ApiToken, SshKey, UsageReport } from '../../provisioner/api.ts';
import { API_SCOPES } from '../../provisioner/api.ts';
import { type Html, html } from '../http/html.ts';
import { csrfField, type Viewer } from './layout.ts';

const day = (iso: string | null) => (iso ? iso.slice(0, 10) : '—');

export function keysPage(o: { viewer: Viewer; keys: SshKey[]; value?: string; error?: string }): Html {
  return html`<h1>SSH keys</h1>
<p class="muted">Every key here can log in to all your machines (running machines pick up changes within seconds).</p>
${
  o.keys.length
    ? html`<table class="data"><thead><tr><th scope="col">Key</th><th scope="col">Fingerprint</th><th scope="col">Added</th><th scope="col"><span class="visually-hidden">Action</span></th></tr></thead><tbody>
${o.keys.map((k) => html`<tr><td>${k.type} ${k.comment}</td><td><code>${k.fingerprint}</code></td><td>${day(k.createdAt)}</td><td><form method="post" action="/keys/${k.id}/delete">${csrfField(o.viewer)}<button class="danger" type="submit">Remove<span class="visually-hidden"> ${k.comment || k.fingerprint}</span></button></form></td></tr>`)}
</tbody></table>`
    : html`<div class="panel"><p>No keys yet: add one so you can log in to your machines.</p></div>`
}
<h2>Add a key</h2>
<form class="stack panel" method="post" action="/keys">${csrfField(o.viewer)}
<div class="field${o.error ? ' invalid' : ''}"><label for="f-key">Public key</label>
<textarea id="f-key" name="key" placeholder="ssh-ed25519 AAAA… you@laptop" aria-describedby="key-hint${o.error ? ' key-error' : ''}"${o.error ? html` aria-invalid="true"` : ''}>${o.value ?? ''}</textarea>
<p class="hint" id="key-hint">The contents of ~/.ssh/id_ed25519.pub (never the private key).</p>
${o.error ? html`<p class="error" id="key-error">${o.error}</p>` : ''}</div>
<div><button class="primary" type="submit">Add key</button></div></form>`;
}

export function usagePage(o: { viewer: Viewer; usage: UsageReport }): Html {
  const { quota, used } = o.usage;
  const meter = (label: string, u: number, q: number, unit: string) =>
    html`<div class="panel meter"><h3>${label}</h3><div class="num">${u} <span class="muted">/ ${q}${unit}</span></div>
<progress max="${Math.max(q, 1)}" value="${Math.min(u, q)}" aria-label="${label}: ${u} of ${q}${unit} used">${u}</progress></div>`;
  return html`<h1>Quota and usage</h1>
<p class="muted">Stopped machines keep their disk and count as a machine, but not their CPU and memory.</p>
<div class="meters">
${meter('Machines', used.instances, quota.instances, '')}
${meter('CPUs (running)', used.cpu, quota.cpu, '')}
${meter('Memory (running)', used.memoryGiB, quota.memoryGiB, ' GiB')}
${meter('Disk', used.diskGiB, quota.diskGiB, ' GiB')}
</div>`;
}

export function tokensPage(o: {
  viewer: Viewer;
  tokens: ApiToken[];
  now: Date;
  created?: string;
  errors?: Partial<Record<'name' | 'scopes' | 'days', string>>;
  values?: { name?: string; scopes?: string[]; days?: string };
}): Html {
  const e = o.errors ?? {};
  const v = o.values ?? {};
  const status = (t: ApiToken) =>
    t.revokedAt ? 'revoked' : Date.parse(t.expiresAt) <= o.now.getTime() ? 'expired' : 'active';
  return html`<h1>API tokens</h1>
<p class="muted">Personal tokens for scripts: send <code>Authorization: Bearer &lt;token&gt;</code> to <a href="/api/v1/openapi.json">/api/v1</a>. A token can do only what its scopes allow, and only what you may do.</p>
${o.created ? html`<div class="flash secret" role="status"><strong>Your new token (shown only now):</strong><div class="ssh"><code data-testid="new-token">${o.created}</code><button type="button" data-copy="${o.created}">Copy</button></div></div>` : ''}
${
  o.tokens.length
    ? html`<table class="data"><thead><tr><th scope="col">Name</th><th scope="col">Scopes</th><th scope="col">Expires</th><th scope="col">Last used</th><th scope="col">Status</th><th scope="col"><span class="visually-hidden">Action</span></th></tr></thead><tbody>
${o.tokens.map(
  (
    t,
  ) => html`<tr><td>${t.name}</td><td>${t.scopes.join(', ')}</td><td>${day(t.expiresAt)}</td><td>${day(t.lastUsedAt)}</td><td>${status(t)}</td>
<td>${status(t) === 'active' ? html`<form method="post" action="/tokens/${t.id}/revoke">${csrfField(o.viewer)}<button class="danger" type="submit">Revoke<span class="visually-hidden"> ${t.name}</span></button></form>` : ''}</td></tr>`,
)}
</tbody></table>`
    : ''
}
<h2>New token</h2>
<form class="stack panel" method="post" action="/tokens">${csrfField(o.viewer)}
<div class="field${e.name ? ' invalid' : ''}"><label for="f-tname">Name</label><input id="f-tname" name="name" value="${v.name ?? ''}" maxlength="40" placeholder="ci-script"${e.name ? html` aria-invalid="true" aria-describedby="tname-error"` : ''}>${e.name ? html`<p class="error" id="tname-error">${e.name}</p>` : ''}</div>
<fieldset class="field${e.scopes ? ' invalid' : ''}"><legend>Scopes</legend><div class="checks">
${API_SCOPES.filter((s) => s !== 'admin' || o.viewer.isAdmin).map((s) => html`<label><input type="checkbox" name="scopes" value="${s}"${(v.scopes ?? ['machines:read']).includes(s) ? html` checked` : ''}>${s}</label>`)}
</div>${e.scopes ? html`<p class="error">${e.scopes}</p>` : ''}</fieldset>
<div class="field${e.days ? ' invalid' : ''}"><label for="f-days">Expires after (days)</label><input id="f-days" name="days" type="number" min="1" max="365" value="${v.days ?? '30'}"${e.days ? html` aria-invalid="true" aria-describedby="days-error"` : ''}>${e.days ? html`<p class="error" id="days-error">${e.days}</p>` : ''}</div>
<div><button class="primary" type="submit">Create token</button></div></form>
<h2>Sessions</h2>
<form method="post" action="/sign-out-everywhere">${csrfField(o.viewer)}<button class="danger" type="submit">Sign out everywhere</button></form>`;
}

export function signInPage(o: { google: boolean; dev: boolean; message?: string }): Html {
  return html`<div class="panel signin"><span class="logo-mark" aria-hidden="true">▣</span><h1>Sign in to TiSpace</h1>
${o.message ? html`<div class="flash error" role="alert">${o.message}</div>` : ''}
${o.google ? html`<p class="muted">Use your company Google account.</p><a class="button primary google" href="/auth/web/google/start">Sign in with Google</a>` : ''}
${!o.google && o.dev ? html`<p>Development mode: open the one-time sign-in link printed in the terminal where <code>npm run dev</code> runs.</p>` : ''}
${!o.google && !o.dev ? html`<p>Google sign-in is not configured on this server. Ask an admin.</p>` : ''}
</div>`;
}

export function messagePage(title: string, text: string): Html {
  return html`<div class="panel confirm"><h1>${title}</h1><p>${text}</p><p><a class="button" href="/">Back to TiSpace</a></p></div>`;
}
