import { ACTIONS } from '../constants.ts';
import { button, type MessageContent, section } from './blocks.ts';

/** Asks the user to link their Google account; without a sign-in URL, says who can help. */
export function linkPrompt(o: { message: string; url: string | undefined }): MessageContent {
  if (!o.url)
    return {
      text: `${o.message}\nGoogle sign-in is not configured on this TiSpace; ask an admin.`,
    };
  return {
    text: o.message,
    blocks: [
      section(
        `:key: ${o.message}`,
        button({
          text: 'Link your Google account',
          actionId: ACTIONS.linkGoogle,
          url: o.url,
          style: 'primary',
        }),
      ),
    ],
  };
}
