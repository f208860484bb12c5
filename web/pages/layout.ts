import { type Html, html } from '../http/html.ts';

export interface Viewer {
  email: string;
  isAdmin: boolean;
  csrf: string;
}

export interface Flash {
  kind: 'ok' | 'error' | 'secret';
  text: string | Html;
}

const NAV: { href: string; label: string; admin?: boolean }[] = [
  { href: '/', label: 'Machines' },
  { href: '/machines/new', label: 'New machine' },
  { href: '/keys', label: 'SSH keys' },
  { href: '/usage', label: 'Usage' },
  { href: '/tokens', label: 'API tokens' },
  { href: '/admin', label: 'Admin', admin: true },
];

export const csrfField = (viewer: Viewer): Html =>
  html`<input type="hidden" name="_csrf" value="${viewer.csrf}">`;

export function page(o: {
  title: string;
  viewer?: Viewer;
  current?: string;
  flash?: Flash[];
  body: Html;
}): Html {
  const v = o.viewer;
  return html`<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${o.title} · TiSpace</title>
<link rel="stylesheet" href="/static/app.css">
<script src="/static/app.js" defer></script>
</head>
<body>
<a class="skip" href="#content">Skip to content</a>
<header class="top"><div class="bar">
<a class="logo" href="/"><span class="logo-mark" aria-hidden="true">▣</span>TiSpace</a>
${
  v
    ? html`<nav class="main" aria-label="Main">${NAV.filter((n) => !n.admin || v.isAdmin).map(
        (n) =>
          html`<a href="${n.href}"${o.current === n.href ? html` aria-current="page"` : ''}>${n.label}</a>`,
      )}</nav>
<div class="who"><span>${v.email}</span>${v.isAdmin ? html`<span class="badge-admin">admin</span>` : ''}
<form method="post" action="/sign-out">${csrfField(v)}<button type="submit">Sign out</button></form></div>`
    : ''
}
</div></header>
<main id="content">
${(o.flash ?? []).map((f) => html`<div class="flash ${f.kind}" role="${f.kind === 'error' ? 'alert' : 'status'}">${f.text}</div>`)}
${o.body}
</main>
</body>
</html>`;
}
