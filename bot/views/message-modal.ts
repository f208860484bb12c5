import type { types } from '@slack/bolt';
import { CALLBACKS } from '../constants.ts';
import { plain, section } from './blocks.ts';

/** A modal that only says something (loading, refusal, SSH details). */
export function messageModal(o: { title: string; text: string; callbackId?: string }): types.ModalView {
  return {
    type: 'modal',
    callback_id: o.callbackId ?? CALLBACKS.infoModal,
    title: plain(o.title, 24),
    close: plain('Close', 24),
    blocks: [section(o.text)],
  };
}
