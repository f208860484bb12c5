import type { webApi } from '@slack/bolt';
import type { DirectoryMember, DirectorySource } from '../provisioner/api.ts';
import { slackErrorCode } from './slack-errors.ts';

interface SlackMember {
  id?: string;
  deleted?: boolean;
}

/**
 * The directory job's view of the Slack workspace: users.list (cursor pagination; the client waits out
 * tier-2 rate limits by Retry-After) and users.info. Any failure throws, so the job offboards nobody.
 */
export function slackDirectory(client: webApi.WebClient): DirectorySource {
  return {
    async *members(): AsyncIterable<DirectoryMember> {
      // Slack advises pages of at most 200.
      for await (const page of client.paginate('users.list', { limit: 200 })) {
        for (const m of (page as { members?: SlackMember[] }).members ?? [])
          if (m.id) yield { id: m.id, deleted: m.deleted === true };
      }
    },
    async lookup(id: string): Promise<DirectoryMember | 'not-found'> {
      try {
        const answer = await client.users.info({ user: id });
        return { id, deleted: (answer.user as SlackMember | undefined)?.deleted === true };
      } catch (error) {
        if (slackErrorCode(error) === 'user_not_found') return 'not-found';
        throw error;
      }
    },
  };
}
