// Every Slack id the app sends or matches, in one place: listeners, view builders and tests share them.

export const COMMAND = '/tispace';

/** action_ids of buttons and selects. */
export const ACTIONS = {
  linkGoogle: 'link_google',
  openCreate: 'open_create',
  sshInfo: 'instance_ssh',
  extend: 'instance_extend',
  stop: 'instance_stop',
  start: 'instance_start',
  deleteAsk: 'instance_delete_ask',
  deleteConfirm: 'instance_delete_confirm',
  deleteCancel: 'instance_delete_cancel',
  stillUsing: 'instance_still_using',
  homePrev: 'home_page_prev',
  homeNext: 'home_page_next',
} as const;

/**
 * Reminder "Extend +Nd" buttons sit in one actions block, where action_ids must differ: the amount is a
 * suffix (`instance_extend:3d`). The button value still carries only the instance id.
 */
export const EXTEND_BY_PREFIX = `${ACTIONS.extend}:`;
export const EXTEND_BY_PATTERN = /^instance_extend:(\d{1,6}[mhdw])$/;

/** callback_ids of modals and the Home tab. */
export const CALLBACKS = {
  createModal: 'create_instance',
  infoModal: 'info',
  home: 'home',
} as const;

/** block_ids of the create modal inputs; the provisioner's error fields map onto them. */
export const CREATE_BLOCKS = {
  name: 'create_name',
  image: 'create_image',
  size: 'create_size',
  cpu: 'create_cpu',
  memoryGiB: 'create_memory',
  diskGiB: 'create_disk',
  lease: 'create_lease',
} as const;

/** action_ids of the create modal inputs (one input per block, so they can be fixed). */
export const CREATE_INPUTS = {
  name: 'name',
  image: 'image',
  size: 'size',
  cpu: 'cpu',
  memoryGiB: 'memory',
  diskGiB: 'disk',
  lease: 'lease',
} as const;

/** Size select value meaning "use the CPU/memory fields below". */
export const CUSTOM_SIZE = 'custom';

/** Events the app subscribes to. */
export const EVENTS = {
  appHomeOpened: 'app_home_opened',
  userChange: 'user_change',
} as const;

/** Instances per App Home page: 3 blocks each keeps a page well under the 100-block limit. */
export const HOME_PAGE_SIZE = 25;

/** block_id of one instance's buttons on the Home tab (unique per instance). */
export const homeInstanceBlock = (instanceId: string): string => `home_instance_${instanceId}`;
