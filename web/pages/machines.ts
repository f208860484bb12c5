import {
  FINGERPRINT_ADVICE,
  fingerprintText,
  sshConfigHowto,
  VSCODE_NEEDS,
  vscodeLink,
  withSshConfig,
} from '../../bot/views/ssh-access.ts';
import {
  formatRemaining,
  formatUtc,
  type Instance,
  type InstanceEvent,
  type StoredInstance,
  sshAlias,
  sshCommand,
  sshConfigBlock,
} from '../../provisioner/api.ts';
import { type Html, html } from '../http/html.ts';
import { csrfField, type Viewer } from './layout.ts';

const STATE_LABEL: Record<string, string> = {
  requested: 'Requested',
  provisioning: 'Starting',
  running: 'Ready',
  stopping: 'Stopping',
  stopped: 'Stopped',
  deleting: 'Deleting',
  deleted: 'Deleted',
  failed: 'Failed',
};

export const stateLabel = (i: Pick<StoredInstance, 'phase'>): string => STATE_LABEL[i.phase] ?? i.phase;

const utc = (iso: string | null): string => (iso ? formatUtc(iso) : '—');

export const machinePath = (i: Pick<StoredInstance, 'id'>): string => `/machines/${encodeURIComponent(i.id)}`;

/**
 * A form that works without JavaScript (POST to the page route); app.js sends it to `api` (the REST
 * call, "METHOD /api/v1/…") instead and shows `done`, without leaving the page.
 */
const post = (
  viewer: Viewer,
  action: string,
  label: string,
  api: { call: string; done: string },
  cls = '',
): Html =>
  html`<form method="post" action="${action}" data-api="${api.call}" data-done="${api.done}">${csrfField(viewer)}<button type="submit"${cls ? html` class="${cls}"` : ''}>${label}</button></form>`;

const apiPath = (i: Pick<StoredInstance, 'id'>): string => `/api/v1/machines/${encodeURIComponent(i.id)}`;

/** How to reach a running machine: the command, the host key to compare, the VS Code link. */
function connect(i: Instance, ssh: string): Html {
  const fp = fingerprintText(i);
  const vscode = vscodeLink(i);
  return html`<div class="ssh"><code data-testid="ssh-command">${ssh}</code><button type="button" data-copy="${ssh}" aria-label="Copy the SSH command of ${i.name}">Copy</button></div>
<p class="ssh-facts">${fp ? html`Host key <code data-testid="host-key">${fp}</code> <span class="muted">— ${FINGERPRINT_ADVICE}.</span>` : html`<span class="muted">Host key not read yet; it shows here once the machine’s sshd answers.</span>`}
${vscode ? html`<br><a href="${vscode}" data-testid="vscode">Open in VS Code</a> <span class="muted">(${VSCODE_NEEDS})</span>` : ''}</p>`;
}

/** A machine's ~/.ssh/config block, selectable and copyable (the copy button is the only part needing JS). */
function configBlock(i: Instance): Html {
  const block = sshConfigBlock(i);
  if (!block) return html``;
  return html`<h2>SSH config</h2>
<p class="muted">Add this to ~/.ssh/config, then <code>ssh ${sshAlias(i)}</code>. It stays the same across restarts. All your machines at once: <a href="/api/v1/ssh-config" download="tispace">Download ~/.ssh/config block</a>.</p>
<pre class="config" data-testid="ssh-config">${block}</pre>
<button type="button" data-copy="${block}" aria-label="Copy the ~/.ssh/config block of ${i.name}">Copy</button>`;
}

/** One machine as a card; also what the live updates send (same markup, so no client-side templates). */
export function machineCard(i: Instance, viewer: Viewer, now: Date, showOwner = false): Html {
  const ssh = i.phase === 'running' ? sshCommand(i) : null;
  const path = machinePath(i);
  const failed = i.conditions.find((c) => c.status === 'False' && c.message);
  return html`<article class="machine" id="machine-${i.id}" aria-labelledby="title-${i.id}" data-announce="${i.name} is ${stateLabel(i).toLowerCase()}">
<div class="machine-head"><h3 id="title-${i.id}"><a href="${path}">${i.name}</a></h3>
<span class="state state-${i.phase}" data-testid="state">${stateLabel(i)}</span></div>
<dl class="facts">
${showOwner ? html`<dt>Owner</dt><dd>${i.ownerEmail || i.ownerId}</dd>` : ''}
<dt>Size</dt><dd>${i.cpu} CPU · ${i.memoryGiB} GiB · ${i.diskGiB} GiB disk</dd>
<dt>Image</dt><dd>${i.image}</dd>
<dt>Node</dt><dd>${i.node ?? '—'}</dd>
<dt>Lease</dt><dd><span data-lease-ends="${i.leaseEndsAt}">${formatRemaining(Date.parse(i.leaseEndsAt) - now.getTime())}</span> left <span class="muted">(until ${utc(i.leaseEndsAt)})</span></dd>
${i.phase === 'failed' && failed ? html`<dt>Problem</dt><dd>${failed.message}</dd>` : ''}
</dl>
${ssh ? connect(i, ssh) : ''}
<div class="actions">
${i.desired === 'stopped' || i.phase === 'failed' ? post(viewer, `${path}/start`, 'Start', { call: `POST ${apiPath(i)}/start`, done: `${i.name} is starting.` }, 'primary') : ''}
${i.desired === 'running' && i.phase !== 'failed' ? html`<a class="button" href="${path}/stop">Stop</a>` : ''}
${i.desired !== 'deleted' ? post(viewer, `${path}/extend`, 'Extend lease', { call: `POST ${apiPath(i)}/extend`, done: `The lease of ${i.name} was extended.` }) : ''}
${i.desired !== 'deleted' ? html`<a class="button danger" href="${path}/delete">Delete</a>` : ''}
</div>
</article>`;
}

/** The dashboard's link to GET /api/v1/ssh-config (a plain link: the session authenticates it). */
function sshConfigDownload(machines: readonly StoredInstance[]): Html | '' {
  const [first] = withSshConfig(machines);
  if (!first) return '';
  return html`<p class="ssh-config-link"><a href="/api/v1/ssh-config" download="tispace" data-testid="ssh-config-download">Download ~/.ssh/config block</a> <span class="muted">— ${sshConfigHowto(first).join(' ')}</span></p>`;
}

export function machinesPage(o: {
  viewer: Viewer;
  machines: StoredInstance[];
  restorable: StoredInstance[];
  now: Date;
}): Html {
  const { viewer, now } = o;
  return html`<div class="page-head"><h1>My machines</h1>
<div><span class="live" data-state="off">Live updates</span> <a class="button primary" href="/machines/new">New machine</a></div></div>
${sshConfigDownload(o.machines)}
<p id="live-note" class="visually-hidden" aria-live="polite"></p>
<div class="machines" data-live="/api/v1/events" data-live-list>
${
  o.machines.length
    ? o.machines.map((i) => machineCard(i, viewer, now))
    : html`<div class="panel empty"><h2>No machines yet</h2><p class="muted">A machine is a VM-like Linux box with its own disk, Docker inside, and SSH.</p><a class="button primary" href="/machines/new">Create your first machine</a></div>`
}
</div>
${
  o.restorable.length
    ? html`<h2>Recently deleted</h2>
<p class="muted">A snapshot is kept after deletion; restore brings the machine back with its disk.</p>
<table class="data"><thead><tr><th scope="col">Name</th><th scope="col">Size</th><th scope="col">Deleted</th><th scope="col">Restorable until</th><th scope="col"><span class="visually-hidden">Action</span></th></tr></thead><tbody>
${o.restorable.map(
  (
    i,
  ) => html`<tr><td>${i.name}</td><td>${i.cpu} CPU · ${i.memoryGiB} GiB · ${i.diskGiB} GiB</td><td>${utc(i.deletedAt)}</td><td>${utc(i.snapshotExpiresAt)}</td>
<td><form method="post" action="/restore/${encodeURIComponent(i.name)}" data-api="POST /api/v1/machines/restore" data-api-body="${JSON.stringify({ name: i.name })}" data-done="${i.name} is being restored from its snapshot." data-remove="tr">${csrfField(viewer)}<button type="submit">Restore ${i.name}</button></form></td></tr>`,
)}
</tbody></table>`
    : ''
}`;
}

export function confirmPage(o: {
  viewer: Viewer;
  machine: StoredInstance;
  action: 'stop' | 'delete';
  snapshotGrace: string;
}): Html {
  const i = o.machine;
  const path = machinePath(i);
  const text =
    o.action === 'delete'
      ? html`<p>The machine stops, a snapshot of its disk is taken, then the disk is deleted. You can restore <strong>${i.name}</strong> from the snapshot for ${o.snapshotGrace}.</p>`
      : html`<p><strong>${i.name}</strong> stops. Its disk is kept; start it again at any time. Anything running on it ends.</p>`;
  return html`<div class="panel confirm"><h1>${o.action === 'delete' ? 'Delete' : 'Stop'} ${i.name}?</h1>${text}
<div class="actions"><form method="post" action="${path}/${o.action}" data-api="${o.action === 'delete' ? `DELETE ${apiPath(i)}` : `POST ${apiPath(i)}/stop`}" data-done="${o.action === 'delete' ? `${i.name} is being deleted; a snapshot is taken first.` : `${i.name} is stopping; its disk is kept.`}" data-then="/">${csrfField(o.viewer)}<input type="hidden" name="confirm" value="yes">
<button type="submit" class="${o.action === 'delete' ? 'danger solid' : 'primary'}">${o.action === 'delete' ? 'Yes, delete' : 'Yes, stop'} ${i.name}</button></form>
<a class="button" href="/">Cancel</a></div></div>`;
}

const OBJECT_LABEL: Record<InstanceEvent['object'], string> = {
  machine: 'Machine (Pod)',
  disk: 'Disk (PVC)',
  snapshot: 'Snapshot',
};

/** What Kubernetes reported about the machine's objects (why it is Pending, a volume that will not attach…). */
function eventsTable(o: { events: InstanceEvent[]; unavailable?: string }): Html {
  return html`<h2>Cluster events</h2>
${o.unavailable ? html`<p class="muted">${o.unavailable[0]!.toUpperCase()}${o.unavailable.slice(1)}.</p>` : ''}
${
  o.events.length
    ? html`<table class="data" data-testid="events"><thead><tr><th scope="col">Last seen</th><th scope="col">Type</th><th scope="col">Object</th><th scope="col">Reason</th><th scope="col">Message</th><th scope="col">Count</th></tr></thead><tbody>
${o.events.map((e) => html`<tr${e.type === 'Warning' ? html` class="warning"` : ''}><td class="nowrap">${utc(e.at)}</td><td>${e.type}</td><td>${OBJECT_LABEL[e.object]}</td><td><code>${e.reason}</code></td><td>${e.message}</td><td>${e.count}</td></tr>`)}
</tbody></table>`
    : o.unavailable
      ? ''
      : html`<p class="muted">No recent events (Kubernetes keeps them for about an hour).</p>`
}`;
}

/** Everything that happened (and the lease end and snapshot expiry to come), in time order. */
function timeline(
  i: StoredInstance,
  history: { at: string; actor: string; action: string; reason: string }[],
): { at: string; text: Html | string }[] {
  const items: { at: string; text: Html | string }[] = [
    { at: i.createdAt, text: 'Created' },
    ...history.map((h) => ({
      at: h.at,
      text: html`${h.action} — ${h.reason} <span class="muted">(${h.actor})</span>`,
    })),
    { at: i.leaseEndsAt, text: 'Lease ends' },
    ...(i.snapshotName && i.snapshotExpiresAt
      ? [{ at: i.snapshotExpiresAt, text: `Snapshot ${i.snapshotName} kept until` }]
      : []),
  ];
  return items.sort((a, b) => a.at.localeCompare(b.at));
}

export function machineDetail(o: {
  viewer: Viewer;
  machine: StoredInstance;
  history: { at: string; actor: string; action: string; reason: string }[];
  events: { events: InstanceEvent[]; unavailable?: string };
  now: Date;
}): Html {
  const i = o.machine;
  return html`<div class="page-head"><h1>${i.name}</h1><span class="live" data-state="off">Live updates</span></div>
<p id="live-note" class="visually-hidden" aria-live="polite"></p>
<div class="machines" data-live="/api/v1/events">${machineCard(i, o.viewer, o.now, o.viewer.isAdmin)}</div>
${configBlock(i)}
<h2>Conditions</h2>
${
  i.conditions.length
    ? html`<table class="data"><thead><tr><th scope="col">Type</th><th scope="col">Status</th><th scope="col">Reason</th><th scope="col">Message</th><th scope="col">Since</th></tr></thead><tbody>
${i.conditions.map((c) => html`<tr><td>${c.type}</td><td>${c.status}</td><td><code>${c.reason}</code></td><td>${c.message}</td><td>${utc(c.lastTransitionTime)}</td></tr>`)}
</tbody></table>`
    : html`<p class="muted">No conditions reported yet.</p>`
}
${eventsTable(o.events)}
<h2>History</h2>
<ol class="timeline">
${timeline(i, o.history).map((t) => html`<li><time>${utc(t.at)}</time>${t.text}</li>`)}
</ol>`;
}
