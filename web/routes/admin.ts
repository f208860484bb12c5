// Admin pages: every machine (with filters), capacity per node, and the audit log with search.
import type { Provisioner } from '../../provisioner/api.ts';
import type { PageHandler } from '../app.ts';
import type { Handler, Router } from '../http/router.ts';
import { adminPage } from '../pages/admin.ts';

type Wrap = (h: PageHandler) => Handler;

export function adminRoutes(
  router: Router,
  wrap: Wrap,
  d: { provisioner: Pick<Provisioner, 'api' | 'web'> },
): void {
  const { api, web } = d.provisioner;
  router.on(
    'GET',
    '/admin',
    wrap((ctx) => {
      const q = new URL(ctx.req.url ?? '/', 'http://x').searchParams;
      const all = api.list(ctx.actor, { all: true });
      const capacity = api.capacity(ctx.actor);
      if (!all.ok || !capacity.ok) return ctx.notFound();
      const filters = { owner: q.get('owner') ?? '', phase: q.get('phase') ?? '', node: q.get('node') ?? '' };
      const machines = all.value.filter(
        (i) =>
          (!filters.owner ||
            (i.ownerEmail || i.ownerId).toLowerCase().includes(filters.owner.toLowerCase())) &&
          (!filters.phase || i.phase === filters.phase) &&
          (!filters.node || i.node === filters.node),
      );
      const auditQuery = {
        ...(q.get('actor') ? { actor: q.get('actor')! } : {}),
        ...(q.get('instance') ? { instance: q.get('instance')! } : {}),
        ...(q.get('action') ? { action: q.get('action')! } : {}),
        ...(q.get('since') ? { since: q.get('since')! } : {}),
        ...(q.get('until') ? { until: `${q.get('until')!}\uffff` } : {}),
        limit: 200,
      };
      const audit = web.searchAudit(ctx.actor.userId, auditQuery);
      ctx.render(
        'Admin',
        '/admin',
        adminPage({
          viewer: ctx.viewer,
          machines,
          total: all.value.length,
          filters,
          capacity: capacity.value,
          audit: audit.ok ? audit.value : [],
          auditQuery: Object.fromEntries(q),
          now: ctx.now,
        }),
      );
    }),
  );
}
