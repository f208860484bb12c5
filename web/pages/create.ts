import { fittingSizes } from '../../bot/views/create-modal.ts';
import type { ImageConfig, Limits } from '../../provisioner/api.ts';
import { type Html, html } from '../http/html.ts';
import { csrfField, type Viewer } from './layout.ts';

/** Form field names: the Slack modal's action ids, so the same reader checks both forms. */
export const FIELDS = ['name', 'image', 'size', 'cpu', 'memory', 'disk', 'lease'] as const;
export type FieldName = (typeof FIELDS)[number];

export interface CreateFormOptions {
  viewer: Viewer;
  images: readonly ImageConfig[];
  sizes: Readonly<Record<string, { cpu: number; memoryGiB: number }>>;
  limits: Limits;
  leases: readonly string[];
  defaultLease: string;
  values?: Partial<Record<FieldName, string>>;
  errors?: Partial<Record<FieldName, string>>;
}

export function createForm(o: CreateFormOptions): Html {
  const v = o.values ?? {};
  const e = o.errors ?? {};
  const { fit, tooBig } = fittingSizes(o.sizes, o.limits);
  // The control gets the aria attributes tying it to its hint and error.
  const field = (name: FieldName, label: string, control: (aria: Html) => Html, hint?: string) => {
    const err = e[name];
    const ids = [hint ? `${name}-hint` : '', err ? `${name}-error` : ''].filter(Boolean).join(' ');
    return html`<div class="field${err ? ' invalid' : ''}" data-field="${name}"><label for="f-${name}">${label}</label>
${control(html`${ids ? html`aria-describedby="${ids}"` : ''}${err ? html` aria-invalid="true"` : ''}`)}
${hint ? html`<p class="hint" id="${name}-hint">${hint}</p>` : ''}
${err ? html`<p class="error" id="${name}-error">${err}</p>` : ''}</div>`;
  };
  const selected = (a: string | undefined, b: string) => (a === b ? html` selected` : '');
  const num = (name: FieldName, max: number) => (aria: Html) =>
    html`<input id="f-${name}" name="${name}" type="number" inputmode="numeric" min="1" max="${Math.max(1, max)}" step="1" value="${v[name] ?? ''}" ${aria}>`;
  return html`<h1>New machine</h1>
<p class="muted">You can create up to <strong>${o.limits.instancesLeft}</strong> more machine${o.limits.instancesLeft === 1 ? '' : 's'}; at most <strong>${o.limits.maxCpu} CPU</strong>, <strong>${o.limits.maxMemoryGiB} GiB</strong> memory and <strong>${o.limits.maxDiskGiB} GiB</strong> disk for one machine right now.</p>
${Object.keys(e).length ? html`<div class="flash error" role="alert">The machine was not created: correct the highlighted field${Object.keys(e).length > 1 ? 's' : ''}.</div>` : ''}
<form class="stack panel" method="post" action="/machines" novalidate>
${csrfField(o.viewer)}
${field('name', 'Name', (aria) => html`<input id="f-name" name="name" type="text" maxlength="40" autocomplete="off" placeholder="web1" value="${v.name ?? ''}" required ${aria}>`, 'Lowercase letters, digits and "-", starting with a letter; unique among your machines.')}
${field('image', 'Image', (aria) => html`<select id="f-image" name="image" ${aria}>${o.images.map((i) => html`<option value="${i.name}"${selected(v.image, i.name)}>${i.name}${i.description ? ` — ${i.description}` : ''}</option>`)}</select>`)}
${field(
  'size',
  'Size',
  (aria) =>
    html`<select id="f-size" name="size" ${aria}>${fit.map((n) => html`<option value="${n}"${selected(v.size, n)}>${n} — ${o.sizes[n]!.cpu} CPU, ${o.sizes[n]!.memoryGiB} GiB</option>`)}<option value="custom"${selected(v.size, 'custom')}>Custom (CPU and memory below)</option></select>`,
  tooBig.length ? `Too big for your quota or the cluster right now: ${tooBig.join(', ')}.` : undefined,
)}
<div class="row">
${field('cpu', 'CPUs (custom size)', num('cpu', o.limits.maxCpu), `Only with size "Custom": 1 to ${o.limits.maxCpu}.`)}
${field('memory', 'Memory in GiB (custom size)', num('memory', o.limits.maxMemoryGiB), `Only with size "Custom": 1 to ${o.limits.maxMemoryGiB}.`)}
</div>
${field('disk', 'Disk in GiB', num('disk', o.limits.maxDiskGiB), `Leave empty for the image's default; at most ${o.limits.maxDiskGiB}. Copy-on-write: size costs nothing until used.`)}
${field('lease', 'Lease', (aria) => html`<select id="f-lease" name="lease" ${aria}>${o.leases.map((l) => html`<option value="${l}"${selected(v.lease ?? o.defaultLease, l)}>${l}</option>`)}</select>`, 'You are reminded before it ends and can extend it.')}
<div><button class="primary" type="submit">Create machine</button> <a class="button" href="/">Cancel</a></div>
</form>`;
}
