// SSH keys, quota and usage, personal API tokens.
import type { Provisioner } from '../../provisioner/api.ts';
import type { PageHandler } from '../app.ts';
import { redirect } from '../http/respond.ts';
import type { Handler, Router } from '../http/router.ts';
import { keysPage, messagePage, tokensPage, usagePage } from '../pages/account.ts';

type Wrap = (h: PageHandler) => Handler;

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
    wrap((ctx) => {
      const keys = api.listKeys(ctx.actor);
      if (!keys.ok)
        return ctx.render('SSH keys', '/keys', messagePage('Cannot show your keys', keys.error.message), 403);
      ctx.render('SSH keys', '/keys', keysPage({ viewer: ctx.viewer, keys: keys.value }));
    }),
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
    wrap((ctx) => {
      const usage = api.usage(ctx.actor);
      if (!usage.ok)
        return ctx.render('Usage', '/usage', messagePage('Cannot show your usage', usage.error.message), 403);
      ctx.render('Usage', '/usage', usagePage({ viewer: ctx.viewer, usage: usage.value }));
    }),
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
