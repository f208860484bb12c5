// Admin pages: every machine (with filters), capacity per node, and the audit log with search.
import type { Provisioner, Result } from '../../provisioner/api.ts';
import { redirect } from '../http/respond.ts';
import type { Router } from '../http/router.ts';
import { adminPage } from '../pages/admin.ts';
import { paged, pageNumber, pageOf } from '../pages/pager.ts';
import type { Ctx, Wrap } from './context.ts';

const MACHINES_PER_PAGE = 100;
const USERS_PER_PAGE = 50;

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
      const capacity = api.capacity(ctx.actor);
      const filters = { owner: q.get('owner') ?? '', phase: q.get('phase') ?? '', node: q.get('node') ?? '' };
      // One page of each long list, filtered and cut in SQL: at 10,000 machines the whole table was 2.8 MB
      // and reading every row took over 300 ms.
      const search = (page: number) =>
        web.machines(ctx.actor.userId, filters, {
          limit: MACHINES_PER_PAGE,
          offset: (page - 1) * MACHINES_PER_PAGE,
        });
      let found = search(pageNumber(q.get('mpage'), Number.MAX_SAFE_INTEGER, MACHINES_PER_PAGE));
      if (!found.ok || !capacity.ok) return ctx.notFound();
      const mpage = pageNumber(q.get('mpage'), found.value.matching, MACHINES_PER_PAGE);
      if (found.value.items.length === 0 && found.value.matching > 0) found = search(mpage);
      if (!found.ok) return ctx.notFound();
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
      const machines = paged(found.value.items, found.value.matching, mpage, MACHINES_PER_PAGE);
      const userPage = pageOf(users.ok ? users.value : [], q.get('upage'), USERS_PER_PAGE);
      ctx.render(
        'Admin',
        '/admin',
        adminPage({
          viewer: ctx.viewer,
          machines,
          total: found.value.live,
          query: q,
          filters,
          capacity: capacity.value,
          audit: audit.ok ? audit.value : [],
          auditQuery: Object.fromEntries(q),
          users: userPage,
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
