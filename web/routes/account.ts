// SSH keys, quota and usage, personal API tokens.
import type { Provisioner } from '../../provisioner/api.ts';
import { redirect } from '../http/respond.ts';
import type { Router } from '../http/router.ts';
import { keysPage, tokensPage, usagePage } from '../pages/account.ts';
import { renderRead, type Wrap } from './context.ts';

const list = (v: unknown): string[] => (Array.isArray(v) ? v.map(String) : typeof v === 'string' ? [v] : []);

export function accountRoutes(
  router: Router,
  wrap: Wrap,
  d: { provisioner: Pick<Provisioner, 'api' | 'web'> },
): void {
  const { api, web } = d.provisioner;

  router.on(
    'GET',
    '/keys',
    wrap((ctx) =>
      renderRead(
        ctx,
        { title: 'SSH keys', current: '/keys', what: 'keys' },
        api.listKeys(ctx.actor),
        (keys) => keysPage({ viewer: ctx.viewer, keys }),
      ),
    ),
  );
  router.on(
    'POST',
    '/keys',
    wrap((ctx) => {
      const text = typeof ctx.body.key === 'string' ? ctx.body.key : '';
      const added = api.addKey(ctx.actor, text);
      if (added.ok) return redirect(ctx.res, '/keys');
      const keys = api.listKeys(ctx.actor);
      ctx.render(
        'SSH keys',
        '/keys',
        keysPage({
          viewer: ctx.viewer,
          keys: keys.ok ? keys.value : [],
          value: text,
          error: added.error.message,
        }),
        422,
      );
    }),
  );
  router.on(
    'POST',
    '/keys/:id/delete',
    wrap((ctx) => {
      const removed = api.removeKey(ctx.actor, ctx.params.id!);
      if (!removed.ok) return ctx.notFound();
      redirect(ctx.res, '/keys');
    }),
  );

  router.on(
    'GET',
    '/usage',
    wrap((ctx) =>
      renderRead(ctx, { title: 'Usage', current: '/usage', what: 'usage' }, api.usage(ctx.actor), (usage) =>
        usagePage({ viewer: ctx.viewer, usage }),
      ),
    ),
  );

  router.on(
    'GET',
    '/tokens',
    wrap((ctx) =>
      ctx.render(
        'API tokens',
        '/tokens',
        tokensPage({ viewer: ctx.viewer, tokens: web.listTokens(ctx.actor.userId), now: ctx.now }),
      ),
    ),
  );
  router.on(
    'POST',
    '/tokens',
    wrap((ctx) => {
      const values = {
        name: typeof ctx.body.name === 'string' ? ctx.body.name : '',
        scopes: list(ctx.body.scopes),
        days: String(ctx.body.days ?? ''),
      };
      const created = web.createToken(ctx.actor.userId, {
        name: values.name,
        scopes: values.scopes,
        days: /^\d{1,4}$/.test(values.days) ? Number(values.days) : Number.NaN,
      });
      if (!created.ok) {
        const field = (created.error.field ?? 'name') as 'name' | 'scopes' | 'days';
        return ctx.render(
          'API tokens',
          '/tokens',
          tokensPage({
            viewer: ctx.viewer,
            tokens: web.listTokens(ctx.actor.userId),
            now: ctx.now,
            errors: { [field]: created.error.message },
            values,
          }),
          422,
        );
      }
      ctx.render(
        'API tokens',
        '/tokens',
        tokensPage({
          viewer: ctx.viewer,
          tokens: web.listTokens(ctx.actor.userId),
          now: ctx.now,
          created: created.value.token,
        }),
        201,
      );
    }),
  );
  router.on(
    'POST',
    '/tokens/:id/revoke',
    wrap((ctx) => {
      const revoked = web.revokeToken(ctx.actor.userId, Number(ctx.params.id));
      if (!revoked.ok) return ctx.notFound();
      redirect(ctx.res, '/tokens');
    }),
  );
}
