import type { Actor } from '../../provisioner/api.ts';

// Who is acting, read from what Slack signed: the payload's own user, never anything a button or form
// carries. One reading per payload shape.

/** Interactions (block actions, view submissions): the clicking or submitting user. */
export const actorOf = (body: {
  user: { id: string; team_id?: string };
  team?: { id: string } | null;
}): Required<Actor> => ({
  userId: body.user.id,
  teamId: body.user.team_id ?? body.team?.id ?? '',
});

/** Slash commands: the invoking user. */
export const commandActor = (command: { user_id: string; team_id: string }): Required<Actor> => ({
  userId: command.user_id,
  teamId: command.team_id,
});

/** Events: the user the event is about, in the team that sent it. */
export const eventActor = (user: string, body: { team_id?: string }): Required<Actor> => ({
  userId: user,
  teamId: body.team_id ?? '',
});
