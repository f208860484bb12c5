import type { AuditEntry, NodeFree, Quota, StoredInstance, User } from '../../provisioner/api.ts';
import { type Html, html } from '../http/html.ts';
import { csrfField, type Viewer } from './layout.ts';
import { machinePath, stateLabel } from './machines.ts';
import { type Paged, pager } from './pager.ts';

const PHASES = ['requested', 'provisioning', 'running', 'stopping', 'stopped', 'deleting', 'failed'];
const GiB = 1024 ** 3;
const utc = (iso: string) => `${iso.slice(0, 16).replace('T', ' ')}`;

export function adminPage(o: {
  viewer: Viewer;
  machines: Paged<StoredInstance>;
  total: number;
  query: URLSearchParams;
  filters: { owner: string; phase: string; node: string };
  capacity: NodeFree[];
  audit: AuditEntry[];
  auditQuery: Record<string, string>;
  users: Paged<User & { quota: Quota }>;
  now: Date;
}): Html {
  const f = o.filters;
  const a = o.auditQuery;
  const input = (name: string, label: string, value: string, type = 'text'): Html =>
    html`<div class="field"><label for="a-${name}">${label}</label><input id="a-${name}" name="${name}" type="${type}" value="${value}"></div>`;
  return html`<h1>Admin</h1>
<h2 id="capacity">Capacity per node</h2>
<table class="data"><thead><tr><th scope="col">Node</th><th scope="col">Free CPU</th><th scope="col">Free memory</th><th scope="col">Allocatable</th></tr></thead><tbody>
${o.capacity.map((n) => html`<tr><td>${n.node}</td><td>${(n.cpuMilli / 1000).toFixed(1)}</td><td>${(n.memoryBytes / GiB).toFixed(1)} GiB</td><td>${(n.allocatable.cpuMilli / 1000).toFixed(0)} CPU · ${(n.allocatable.memoryBytes / GiB).toFixed(0)} GiB</td></tr>`)}
</tbody></table>
<h2 id="machines">All machines <span class="muted">(${o.machines.total.toLocaleString('en')} of ${o.total.toLocaleString('en')})</span></h2>
<form class="filters" method="get" action="/admin">
${input('owner', 'Owner', f.owner)}
<div class="field"><label for="a-phase">State</label><select id="a-phase" name="phase"><option value="">any</option>${PHASES.map((p) => html`<option value="${p}"${f.phase === p ? html` selected` : ''}>${p}</option>`)}</select></div>
<div class="field"><label for="a-node">Node</label><select id="a-node" name="node"><option value="">any</option>${o.capacity.map((n) => html`<option${f.node === n.node ? html` selected` : ''}>${n.node}</option>`)}</select></div>
<button type="submit">Filter</button></form>
<table class="data"><thead><tr><th scope="col">Name</th><th scope="col">Owner</th><th scope="col">State</th><th scope="col">Size</th><th scope="col">Node</th><th scope="col">Lease ends (UTC)</th></tr></thead><tbody>
${o.machines.items.map((i) => html`<tr><td><a href="${machinePath(i)}">${i.name}</a></td><td>${i.ownerEmail || i.ownerId}</td><td><span class="state state-${i.phase}">${stateLabel(i)}</span></td><td>${i.cpu} CPU · ${i.memoryGiB} GiB · ${i.diskGiB} GiB</td><td>${i.node ?? '—'}</td><td>${utc(i.leaseEndsAt)}</td></tr>`)}
</tbody></table>
${pager(o.machines, { path: '/admin', query: o.query, param: 'mpage', anchor: 'machines', label: 'machines' })}
<h2 id="users">Users</h2>
<table class="data" data-testid="users"><thead><tr><th scope="col">User</th><th scope="col">Status</th><th scope="col">Quota: machines, CPUs, GiB memory, GiB disk</th><th scope="col"><span class="visually-hidden">Action</span></th></tr></thead><tbody>
${o.users.items.map(
  (
    u,
  ) => html`<tr><td>${u.email}<br><span class="muted">${u.userId}</span></td><td>${u.deactivatedAt ? `deactivated ${utc(u.deactivatedAt)}` : 'active'}</td>
<td><form class="filters" method="post" action="/admin/users/${encodeURIComponent(u.userId)}/quota">${csrfField(o.viewer)}
${(['instances', 'cpu', 'memoryGiB', 'diskGiB'] as const).map((k) => html`<div class="field"><label for="q-${u.userId}-${k}">${k}</label><input id="q-${u.userId}-${k}" name="${k}" type="number" min="0" max="10000" value="${u.quota[k]}"></div>`)}
<button type="submit">Set quota<span class="visually-hidden"> of ${u.email}</span></button></form></td>
<td><form method="post" action="/admin/users/${encodeURIComponent(u.userId)}/${u.deactivatedAt ? 'reactivate' : 'deactivate'}">${csrfField(o.viewer)}<button type="submit" class="${u.deactivatedAt ? '' : 'danger'}">${u.deactivatedAt ? 'Reactivate' : 'Deactivate'}<span class="visually-hidden"> ${u.email}</span></button></form></td></tr>`,
)}
</tbody></table>
${pager(o.users, { path: '/admin', query: o.query, param: 'upage', anchor: 'users', label: 'users' })}
<h2 id="audit">Audit log</h2>
<form class="filters" method="get" action="/admin#audit">
${input('actor', 'User id', a.actor ?? '')}${input('instance', 'Machine id', a.instance ?? '')}${input('action', 'Action', a.action ?? '')}${input('since', 'From', a.since ?? '', 'date')}${input('until', 'To', a.until ?? '', 'date')}
<button type="submit">Search</button></form>
<table class="data" data-testid="audit"><thead><tr><th scope="col">When (UTC)</th><th scope="col">Who</th><th scope="col">Action</th><th scope="col">Machine</th><th scope="col">Why</th></tr></thead><tbody>
${o.audit.map((e) => html`<tr><td>${utc(e.at)}</td><td>${e.actor}</td><td>${e.action}</td><td>${e.instanceId ?? ''}</td><td>${e.reason}</td></tr>`)}
</tbody></table>`;
}
