// Admin pages: every machine (with filters), capacity per node, and the audit log with search.
import type { Provisioner, Result } from '../../provisioner/api.ts';
import { redirect } from '../http/respond.ts';
import type { Router } from '../http/router.ts';
import { adminPage } from '../pages/admin.ts';
import type { Ctx, Wrap } from './context.ts';

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
      const users = web.users(ctx.actor.userId);
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
          users: users.ok ? users.value : [],
          now: ctx.now,
        }),
        200,
        [
          ...(q.get('done') ? [{ kind: 'ok' as const, text: q.get('done')!.slice(0, 300) }] : []),
          ...(q.get('error') ? [{ kind: 'error' as const, text: q.get('error')!.slice(0, 500) }] : []),
        ],
      );
    }),
  );

  /** An admin action's answer: 404 to non-admins, the refusal or what was done on the users section. */
  const answer = <T>(ctx: Ctx, outcome: Result<T>, done: (value: T) => string) => {
    if (!outcome.ok && outcome.error.code === 'Forbidden') return ctx.notFound();
    if (!outcome.ok)
      return redirect(ctx.res, `/admin?error=${encodeURIComponent(outcome.error.message)}#users`);
    redirect(ctx.res, `/admin?done=${encodeURIComponent(done(outcome.value))}#users`);
  };
  router.on(
    'POST',
    '/admin/users/:id/quota',
    wrap((ctx) => {
      const change: Record<string, number> = {};
      for (const k of ['instances', 'cpu', 'memoryGiB', 'diskGiB'])
        if (typeof ctx.body[k] === 'string' && ctx.body[k] !== '') change[k] = Number(ctx.body[k]);
      answer(ctx, api.setQuota(ctx.actor, ctx.params.id!, change), () => `Quota of ${ctx.params.id} set.`);
    }),
  );
  for (const [action, active] of [
    ['deactivate', false],
    ['reactivate', true],
  ] as const)
    router.on(
      'POST',
      `/admin/users/:id/${action}`,
      wrap((ctx) =>
        answer(
          ctx,
          web.setActive(ctx.actor.userId, ctx.params.id!, active),
          (user) => `${user.email ?? ctx.params.id} ${active ? 'reactivated' : 'deactivated'}.`,
        ),
      ),
    );
}
