// My machines: list, detail, create, and the lifecycle actions (plain forms; confirmation pages for the
// destructive ones). Every call goes through the provisioner API as the signed-in user, which re-checks
// owner-or-admin: another user's machine id is "not found" and nothing changes.

import { CREATE_BLOCKS, CREATE_INPUTS } from '../../bot/constants.ts';
import { leaseChoices } from '../../bot/subcommands/open-create-modal.ts';
import { blockForField, readCreateForm } from '../../bot/subcommands/read-create-form.ts';
import { formatDuration, type Provisioner, type UserError } from '../../provisioner/api.ts';
import { redirect } from '../http/respond.ts';
import type { Router } from '../http/router.ts';
import { messagePage } from '../pages/account.ts';
import { type CreateFormOptions, createForm, FIELDS, type FieldName } from '../pages/create.ts';
import { confirmPage, machineDetail, machinesPage } from '../pages/machines.ts';
import type { Ctx, Wrap } from './context.ts';

/** The Slack modal's blocks by the web form's field names (the same reader checks both). */
const BLOCK_OF: Record<FieldName, string> = {
  name: CREATE_BLOCKS.name,
  image: CREATE_BLOCKS.image,
  size: CREATE_BLOCKS.size,
  cpu: CREATE_BLOCKS.cpu,
  memory: CREATE_BLOCKS.memoryGiB,
  disk: CREATE_BLOCKS.diskGiB,
  lease: CREATE_BLOCKS.lease,
};
const INPUT_OF: Record<FieldName, string> = {
  name: CREATE_INPUTS.name,
  image: CREATE_INPUTS.image,
  size: CREATE_INPUTS.size,
  cpu: CREATE_INPUTS.cpu,
  memory: CREATE_INPUTS.memoryGiB,
  disk: CREATE_INPUTS.diskGiB,
  lease: CREATE_INPUTS.lease,
};
const FIELD_OF_BLOCK = Object.fromEntries(Object.entries(BLOCK_OF).map(([f, b]) => [b, f])) as Record<
  string,
  FieldName
>;

const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

export function machineRoutes(
  router: Router,
  wrap: Wrap,
  d: { provisioner: Pick<Provisioner, 'api' | 'web' | 'events'> },
): void {
  const { api } = d.provisioner;
  const flashOf = (ctx: Ctx) => {
    const q = new URL(ctx.req.url ?? '/', 'http://x').searchParams;
    const done = q.get('done');
    const error = q.get('error');
    return [
      ...(done ? [{ kind: 'ok' as const, text: done.slice(0, 300) }] : []),
      ...(error ? [{ kind: 'error' as const, text: error.slice(0, 500) }] : []),
    ];
  };
  const back = (ctx: Ctx, where: string, outcome: { done?: string; error?: UserError }) => {
    const q = outcome.error
      ? `error=${encodeURIComponent(outcome.error.message)}`
      : `done=${encodeURIComponent(outcome.done ?? '')}`;
    redirect(ctx.res, `${where}?${q}`);
  };

  router.on(
    'GET',
    '/',
    wrap((ctx) => {
      const list = api.list(ctx.actor);
      if (!list.ok)
        return ctx.render('Machines', '/', messagePage('Cannot list your machines', list.error.message), 403);
      ctx.render(
        'Machines',
        '/',
        machinesPage({
          viewer: ctx.viewer,
          machines: list.value,
          restorable: d.provisioner.web.restorable(ctx.actor.userId),
          now: ctx.now,
        }),
        200,
        flashOf(ctx),
      );
    }),
  );

  const formOptions = async (ctx: Ctx) => {
    const limits = await api.limits(ctx.actor);
    if (!limits.ok) return limits;
    const { defaultLease, maxLease } = api.config.policy;
    const leases = leaseChoices(defaultLease, maxLease);
    return {
      ok: true as const,
      value: {
        viewer: ctx.viewer,
        images: api.images(),
        sizes: api.sizes(),
        limits: limits.value,
        leases: leases.options,
        defaultLease: leases.defaultLease,
      },
    };
  };

  /** The create form (with the values and errors of a refused attempt), or why this user cannot create. */
  const showForm = async (
    ctx: Ctx,
    filled: Pick<CreateFormOptions, 'values' | 'errors'> = {},
    status = 200,
  ) => {
    const o = await formOptions(ctx);
    if (!o.ok)
      return ctx.render(
        'New machine',
        '/machines/new',
        messagePage('You cannot create machines', o.error.message),
        403,
      );
    ctx.render('New machine', '/machines/new', createForm({ ...o.value, ...filled }), status);
  };

  router.on(
    'GET',
    '/machines/new',
    wrap((ctx) => showForm(ctx)),
  );

  router.on(
    'POST',
    '/machines',
    wrap(async (ctx) => {
      const values = Object.fromEntries(FIELDS.map((f) => [f, str(ctx.body[f])?.trim() ?? ''])) as Record<
        FieldName,
        string
      >;
      const state = Object.fromEntries(
        FIELDS.map((f) => [BLOCK_OF[f], { [INPUT_OF[f]]: { value: values[f] } }]),
      );
      const form = readCreateForm(state);
      const reshow = (errors: Partial<Record<FieldName, string>>) => showForm(ctx, { values, errors }, 422);
      if (!form.ok)
        return reshow(
          Object.fromEntries(
            Object.entries(form.errors).map(([block, message]) => [FIELD_OF_BLOCK[block]!, message]),
          ),
        );
      const created = await api.create(ctx.actor, form.request);
      if (!created.ok)
        return reshow({
          [FIELD_OF_BLOCK[blockForField(created.error.field, values.size === 'custom')]!]:
            created.error.message,
        });
      redirect(
        ctx.res,
        `/?done=${encodeURIComponent(`${created.value.name} is being created; it shows Ready here when it is.`)}`,
      );
    }),
  );

  router.on(
    'GET',
    '/machines/:id',
    wrap(async (ctx) => {
      const found = api.get(ctx.actor, { id: ctx.params.id! });
      if (!found.ok) return ctx.notFound();
      const history = d.provisioner.web.history(ctx.actor.userId, found.value.id);
      const events = await d.provisioner.events.recent(ctx.actor, { id: found.value.id });
      ctx.render(
        found.value.name,
        '/',
        machineDetail({
          viewer: ctx.viewer,
          machine: found.value,
          history: history.ok ? history.value : [],
          events: events.ok ? events.value : { events: [] },
          now: ctx.now,
        }),
        200,
        flashOf(ctx),
      );
    }),
  );

  for (const action of ['stop', 'delete'] as const)
    router.on(
      'GET',
      `/machines/:id/${action}`,
      wrap((ctx) => {
        const found = api.get(ctx.actor, { id: ctx.params.id! });
        if (!found.ok) return ctx.notFound();
        ctx.render(
          `${action === 'stop' ? 'Stop' : 'Delete'} ${found.value.name}`,
          '/',
          confirmPage({
            viewer: ctx.viewer,
            machine: found.value,
            action,
            snapshotGrace: formatDuration(api.config.policy.snapshotGrace),
          }),
        );
      }),
    );

  const act = (
    name: string,
    run: (ctx: Ctx, id: string) => ReturnType<typeof api.stop> | Promise<ReturnType<typeof api.stop>>,
    done: (n: string) => string,
  ) =>
    router.on(
      'POST',
      `/machines/:id/${name}`,
      wrap(async (ctx) => {
        const found = api.get(ctx.actor, { id: ctx.params.id! });
        if (!found.ok) return ctx.notFound();
        // Destructive actions need the confirmation page's explicit "yes" (a bare POST is not enough).
        if ((name === 'delete' || name === 'stop') && ctx.body.confirm !== 'yes')
          return redirect(ctx.res, `/machines/${encodeURIComponent(found.value.id)}/${name}`);
        const result = await run(ctx, found.value.id);
        if (!result.ok) return back(ctx, '/', { error: result.error });
        back(ctx, '/', { done: done(result.value.name) });
      }),
    );
  act(
    'start',
    (ctx, id) => api.start(ctx.actor, { id }),
    (n) => `${n} is starting.`,
  );
  act(
    'stop',
    (ctx, id) => api.stop(ctx.actor, { id }),
    (n) => `${n} is stopping; its disk is kept.`,
  );
  act(
    'extend',
    (ctx, id) => api.extend(ctx.actor, { id }),
    (n) => `The lease of ${n} was extended by ${formatDuration(api.config.policy.defaultLease)}.`,
  );
  act(
    'delete',
    (ctx, id) => api.delete(ctx.actor, { id }),
    (n) => `${n} is being deleted; a snapshot is taken first.`,
  );

  router.on(
    'POST',
    '/restore/:name',
    wrap(async (ctx) => {
      const result = await api.restore(ctx.actor, ctx.params.name!);
      if (!result.ok) return back(ctx, '/', { error: result.error });
      back(ctx, '/', { done: `${result.value.name} is being restored from its snapshot.` });
    }),
  );
}
