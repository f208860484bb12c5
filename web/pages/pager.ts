// Long lists (the admin's machines and users) are shown a page at a time; the links keep every other
// query parameter (filters, the other list's page), so paging one list changes nothing else.
import { type Html, html } from '../http/html.ts';

export interface Paged<T> {
  items: T[];
  /** 1-based. */
  page: number;
  pages: number;
  total: number;
  /** Index (0-based) of the first item shown. */
  first: number;
}

/** The page a query parameter asks for, clamped to 1…pages (malformed: 1). */
export function pageNumber(requested: string | null, total: number, perPage: number): number {
  const pages = Math.max(1, Math.ceil(total / perPage));
  const n = Number.parseInt(requested ?? '1', 10);
  return Math.min(pages, Math.max(1, Number.isFinite(n) ? n : 1));
}

/** The requested page of `all` (out-of-range or malformed page numbers clamp to the nearest page). */
export function pageOf<T>(all: readonly T[], requested: string | null, perPage: number): Paged<T> {
  const page = pageNumber(requested, all.length, perPage);
  const first = (page - 1) * perPage;
  return paged(all.slice(first, first + perPage), all.length, page, perPage);
}

/** A page already cut (e.g. by SQL), given how many there are in all. */
export const paged = <T>(items: T[], total: number, page: number, perPage: number): Paged<T> => ({
  items,
  page,
  pages: Math.max(1, Math.ceil(total / perPage)),
  total,
  first: (page - 1) * perPage,
});

/** "41–60 of 10,000" with Previous / Next links that change only `param` (and land on `anchor`). */
export function pager(
  p: Paged<unknown>,
  o: { path: string; query: URLSearchParams; param: string; anchor: string; label: string },
): Html {
  const link = (page: number) => {
    const q = new URLSearchParams(o.query);
    q.delete('done');
    q.delete('error');
    q.set(o.param, String(page));
    return `${o.path}?${q}#${o.anchor}`;
  };
  const range = p.total
    ? `${p.first + 1}–${p.first + p.items.length} of ${p.total.toLocaleString('en')}`
    : '0';
  if (p.pages <= 1) return html`<p class="muted pager">${range}</p>`;
  return html`<nav class="pager" aria-label="${o.label}"><span class="muted">${range}</span>
${p.page > 1 ? html`<a class="button" rel="prev" href="${link(p.page - 1)}">Previous<span class="visually-hidden"> page of ${o.label}</span></a>` : ''}
<span>Page ${p.page} of ${p.pages}</span>
${p.page < p.pages ? html`<a class="button" rel="next" href="${link(p.page + 1)}">Next<span class="visually-hidden"> page of ${o.label}</span></a>` : ''}</nav>`;
}
