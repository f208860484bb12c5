// Block Kit validation with Slack's published limits (there is no official JSON schema).
// Pure: no I/O. Each problem is reported the way Slack words it in `errors` / `response_metadata.messages`:
//   "must be less than 3001 characters [json-pointer:/blocks/0/text/text]"
// Paths are JSON pointers from the request's argument (`/blocks/...` for messages, `/view/...` for views).

export type Surface = 'message' | 'modal' | 'home';

export const LIMITS = {
  blocksPerMessage: 50,
  blocksPerView: 100,
  messageText: 40_000,
  sectionText: 3000,
  sectionFields: 10,
  sectionFieldText: 2000,
  headerText: 150,
  contextElements: 10,
  actionsElements: 25,
  buttonText: 75,
  buttonValue: 2000,
  url: 3000,
  id: 255,
  optionText: 75,
  optionValue: 75,
  optionDescription: 75,
  options: 100,
  optionGroups: 100,
  radioOptions: 10,
  checkboxOptions: 10,
  overflowOptions: 5,
  placeholder: 150,
  inputLabel: 2000,
  inputHint: 2000,
  viewTitle: 24,
  viewButton: 24,
  privateMetadata: 3000,
  callbackId: 255,
  externalId: 255,
  viewBytes: 250_000,
  confirmTitle: 100,
  confirmText: 300,
  confirmButton: 30,
  imageAltText: 2000,
  imageTitle: 2000,
  plainTextInputLength: 3000,
} as const;

type Json = unknown;
type Obj = Record<string, unknown>;

const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Collects errors; `ctx` tracks uniqueness of block_id across the whole message/view. */
class Checker {
  readonly errors: string[] = [];
  readonly blockIds = new Set<string>();
  constructor(readonly surface: Surface) {}

  err(path: string, msg: string): void {
    this.errors.push(`${msg} [json-pointer:${path}]`);
  }

  str(v: unknown, path: string, max: number, { required = true, min = 1 } = {}): v is string {
    if (v === undefined || v === null) {
      if (required) this.err(path, 'must provide a string');
      return false;
    }
    if (typeof v !== 'string') {
      this.err(path, 'must be a string');
      return false;
    }
    if (v.length > max) this.err(path, `must be less than ${max + 1} characters`);
    if (v.length < min) this.err(path, `must be more than ${min - 1} characters`);
    return true;
  }

  /** A text object. `plainOnly` where Slack requires plain_text. */
  text(v: unknown, path: string, max: number, { plainOnly = false, required = true } = {}): void {
    if (v === undefined || v === null) {
      if (required) this.err(path, 'must provide an object');
      return;
    }
    if (!isObj(v)) {
      this.err(path, 'must provide an object');
      return;
    }
    if (v.type !== 'plain_text' && v.type !== 'mrkdwn') {
      this.err(`${path}/type`, 'must be a valid enum value');
      return;
    }
    if (plainOnly && v.type !== 'plain_text') {
      this.err(`${path}/type`, 'must be plain_text');
    }
    this.str(v.text, `${path}/text`, max);
    if (v.emoji !== undefined && v.type !== 'plain_text')
      this.err(`${path}/emoji`, 'is not a valid property');
  }

  id(v: unknown, path: string, required = false): void {
    this.str(v, path, LIMITS.id, { required });
  }

  url(v: unknown, path: string, required = false): void {
    if (this.str(v, path, LIMITS.url, { required })) {
      if (!/^(https?|mailto|slack):/i.test(v)) this.err(path, 'must be a valid URL');
    }
  }

  arr(v: unknown, path: string, max: number, min = 1): v is unknown[] {
    if (!Array.isArray(v)) {
      this.err(path, 'must provide an array');
      return false;
    }
    if (v.length > max) this.err(path, `no more than ${max} items allowed`);
    if (v.length < min) this.err(path, `must provide at least ${min} items`);
    return true;
  }

  confirm(v: unknown, path: string): void {
    if (v === undefined) return;
    if (!isObj(v)) {
      this.err(path, 'must provide an object');
      return;
    }
    this.text(v.title, `${path}/title`, LIMITS.confirmTitle, { plainOnly: true });
    this.text(v.text, `${path}/text`, LIMITS.confirmText);
    this.text(v.confirm, `${path}/confirm`, LIMITS.confirmButton, { plainOnly: true });
    this.text(v.deny, `${path}/deny`, LIMITS.confirmButton, { plainOnly: true });
    if (v.style !== undefined && v.style !== 'primary' && v.style !== 'danger') {
      this.err(`${path}/style`, 'must be a valid enum value');
    }
  }

  option(v: unknown, path: string, plainOnly: boolean): string | undefined {
    if (!isObj(v)) {
      this.err(path, 'must provide an object');
      return undefined;
    }
    this.text(v.text, `${path}/text`, LIMITS.optionText, { plainOnly });
    this.str(v.value, `${path}/value`, LIMITS.optionValue);
    if (v.description !== undefined) {
      this.text(v.description, `${path}/description`, LIMITS.optionDescription, { plainOnly });
    }
    if (v.url !== undefined) this.url(v.url, `${path}/url`);
    return typeof v.value === 'string' ? v.value : undefined;
  }

  options(v: unknown, path: string, max: number, plainOnly: boolean, min = 1): Set<string> {
    const values = new Set<string>();
    if (!this.arr(v, path, max, min)) return values;
    v.forEach((o, i) => {
      const value = this.option(o, `${path}/${i}`, plainOnly);
      if (value !== undefined) values.add(value);
    });
    return values;
  }

  /** static_select-like: options or option_groups. Returns the set of values. */
  selectOptions(el: Obj, path: string): Set<string> {
    if (el.options !== undefined && el.option_groups !== undefined) {
      this.err(path, 'must provide either options or option_groups, not both');
    }
    if (el.option_groups !== undefined) {
      const values = new Set<string>();
      if (this.arr(el.option_groups, `${path}/option_groups`, LIMITS.optionGroups)) {
        el.option_groups.forEach((g, i) => {
          const gp = `${path}/option_groups/${i}`;
          if (!isObj(g)) {
            this.err(gp, 'must provide an object');
            return;
          }
          this.text(g.label, `${gp}/label`, LIMITS.optionText, { plainOnly: true });
          for (const value of this.options(g.options, `${gp}/options`, LIMITS.options, true))
            values.add(value);
        });
      }
      return values;
    }
    if (el.options === undefined) {
      this.err(`${path}/options`, 'must provide an array');
      return new Set();
    }
    return this.options(el.options, `${path}/options`, LIMITS.options, true);
  }

  initialOption(v: unknown, values: Set<string>, path: string): void {
    if (v === undefined) return;
    if (!isObj(v) || typeof v.value !== 'string' || !values.has(v.value)) {
      this.err(path, 'must match one of the options');
    }
  }

  element(el: unknown, path: string, where: 'actions' | 'accessory' | 'input', actionIds: Set<string>): void {
    if (!isObj(el)) {
      this.err(path, 'must provide an object');
      return;
    }
    const type = el.type;
    const allowed = ELEMENTS_BY_CONTAINER[where];
    if (typeof type !== 'string' || !allowed.has(type)) {
      this.err(`${path}/type`, `must be a valid enum value (${String(type)} is not allowed in ${where})`);
      return;
    }
    if (el.action_id !== undefined) {
      this.id(el.action_id, `${path}/action_id`);
      if (typeof el.action_id === 'string') {
        if (actionIds.has(el.action_id)) this.err(`${path}/action_id`, 'duplicate action_id');
        actionIds.add(el.action_id);
      }
    }
    if (el.confirm !== undefined) this.confirm(el.confirm, `${path}/confirm`);
    if (el.placeholder !== undefined) {
      this.text(el.placeholder, `${path}/placeholder`, LIMITS.placeholder, { plainOnly: true });
    }
    switch (type) {
      case 'button':
        this.text(el.text, `${path}/text`, LIMITS.buttonText, { plainOnly: true });
        if (el.value !== undefined) this.str(el.value, `${path}/value`, LIMITS.buttonValue);
        if (el.url !== undefined) this.url(el.url, `${path}/url`);
        if (el.style !== undefined && el.style !== 'primary' && el.style !== 'danger') {
          this.err(`${path}/style`, 'must be a valid enum value');
        }
        if (el.accessibility_label !== undefined)
          this.str(el.accessibility_label, `${path}/accessibility_label`, 75);
        break;
      case 'static_select': {
        const values = this.selectOptions(el, path);
        this.initialOption(el.initial_option, values, `${path}/initial_option`);
        break;
      }
      case 'multi_static_select': {
        const values = this.selectOptions(el, path);
        if (
          el.initial_options !== undefined &&
          this.arr(el.initial_options, `${path}/initial_options`, 100, 0)
        ) {
          el.initial_options.forEach((o, i) => {
            this.initialOption(o, values, `${path}/initial_options/${i}`);
          });
        }
        if (el.max_selected_items !== undefined && !(Number(el.max_selected_items) >= 1)) {
          this.err(`${path}/max_selected_items`, 'must be greater than 0');
        }
        break;
      }
      case 'overflow':
        this.options(el.options, `${path}/options`, LIMITS.overflowOptions, true, 1);
        break;
      case 'radio_buttons': {
        const values = this.options(el.options, `${path}/options`, LIMITS.radioOptions, false);
        this.initialOption(el.initial_option, values, `${path}/initial_option`);
        break;
      }
      case 'checkboxes': {
        const values = this.options(el.options, `${path}/options`, LIMITS.checkboxOptions, false);
        if (
          el.initial_options !== undefined &&
          this.arr(el.initial_options, `${path}/initial_options`, 10, 0)
        ) {
          el.initial_options.forEach((o, i) => {
            this.initialOption(o, values, `${path}/initial_options/${i}`);
          });
        }
        break;
      }
      case 'plain_text_input':
        if (el.initial_value !== undefined) {
          this.str(el.initial_value, `${path}/initial_value`, LIMITS.plainTextInputLength, { min: 0 });
        }
        for (const k of ['min_length', 'max_length'] as const) {
          const n = el[k];
          if (n !== undefined && (typeof n !== 'number' || n < 0 || n > LIMITS.plainTextInputLength)) {
            this.err(`${path}/${k}`, `must be between 0 and ${LIMITS.plainTextInputLength}`);
          }
        }
        break;
      case 'datepicker':
        if (el.initial_date !== undefined && !/^\d{4}-\d{2}-\d{2}$/.test(String(el.initial_date))) {
          this.err(`${path}/initial_date`, 'must be a date in the format YYYY-MM-DD');
        }
        break;
      case 'timepicker':
        if (el.initial_time !== undefined && !/^\d{2}:\d{2}$/.test(String(el.initial_time))) {
          this.err(`${path}/initial_time`, 'must be a time in the format HH:mm');
        }
        break;
      case 'image':
        this.url(el.image_url, `${path}/image_url`, true);
        this.str(el.alt_text, `${path}/alt_text`, LIMITS.imageAltText);
        break;
      default:
        break;
    }
  }

  block(b: unknown, path: string): void {
    if (!isObj(b)) {
      this.err(path, 'must provide an object');
      return;
    }
    if (b.block_id !== undefined) {
      this.id(b.block_id, `${path}/block_id`);
      if (typeof b.block_id === 'string') {
        if (this.blockIds.has(b.block_id)) this.err(`${path}/block_id`, 'duplicate block_id');
        this.blockIds.add(b.block_id);
      }
    }
    const actionIds = new Set<string>();
    switch (b.type) {
      case 'section':
        if (b.text === undefined && b.fields === undefined) {
          this.err(path, 'must provide either text or fields');
        }
        if (b.text !== undefined) this.text(b.text, `${path}/text`, LIMITS.sectionText);
        if (b.fields !== undefined && this.arr(b.fields, `${path}/fields`, LIMITS.sectionFields)) {
          b.fields.forEach((f, i) => {
            this.text(f, `${path}/fields/${i}`, LIMITS.sectionFieldText);
          });
        }
        if (b.accessory !== undefined) this.element(b.accessory, `${path}/accessory`, 'accessory', actionIds);
        break;
      case 'header':
        this.text(b.text, `${path}/text`, LIMITS.headerText, { plainOnly: true });
        break;
      case 'divider':
        break;
      case 'context':
        if (this.arr(b.elements, `${path}/elements`, LIMITS.contextElements)) {
          b.elements.forEach((e, i) => {
            const ep = `${path}/elements/${i}`;
            if (isObj(e) && e.type === 'image') {
              this.url(e.image_url, `${ep}/image_url`, true);
              this.str(e.alt_text, `${ep}/alt_text`, LIMITS.imageAltText);
            } else {
              this.text(e, ep, LIMITS.sectionText);
            }
          });
        }
        break;
      case 'actions':
        if (this.arr(b.elements, `${path}/elements`, LIMITS.actionsElements)) {
          b.elements.forEach((e, i) => {
            this.element(e, `${path}/elements/${i}`, 'actions', actionIds);
          });
        }
        break;
      case 'input':
        if (this.surface !== 'modal') {
          this.err(`${path}/type`, 'input blocks are only allowed in modals');
        }
        this.text(b.label, `${path}/label`, LIMITS.inputLabel, { plainOnly: true });
        if (b.hint !== undefined) this.text(b.hint, `${path}/hint`, LIMITS.inputHint, { plainOnly: true });
        if (b.element === undefined) this.err(`${path}/element`, 'must provide an object');
        else this.element(b.element, `${path}/element`, 'input', actionIds);
        if (b.optional !== undefined && typeof b.optional !== 'boolean') {
          this.err(`${path}/optional`, 'must be a boolean');
        }
        break;
      case 'image':
        this.url(b.image_url, `${path}/image_url`, true);
        this.str(b.alt_text, `${path}/alt_text`, LIMITS.imageAltText);
        if (b.title !== undefined)
          this.text(b.title, `${path}/title`, LIMITS.imageTitle, { plainOnly: true });
        break;
      case 'rich_text':
        this.arr(b.elements, `${path}/elements`, 1000, 1);
        break;
      default:
        this.err(`${path}/type`, `must be a valid enum value (unknown block type ${JSON.stringify(b.type)})`);
    }
  }

  blocks(blocks: unknown, path: string, max: number): void {
    if (!Array.isArray(blocks)) {
      this.err(path, 'must provide an array');
      return;
    }
    if (blocks.length > max) this.err(path, `no more than ${max} items allowed`);
    blocks.forEach((b, i) => {
      this.block(b, `${path}/${i}`);
    });
  }
}

const SELECTS = [
  'static_select',
  'external_select',
  'users_select',
  'conversations_select',
  'channels_select',
  'multi_static_select',
  'multi_external_select',
  'multi_users_select',
  'multi_conversations_select',
  'multi_channels_select',
];
const PICKERS = ['datepicker', 'timepicker', 'datetimepicker'];
const ELEMENTS_BY_CONTAINER: Record<'actions' | 'accessory' | 'input', Set<string>> = {
  actions: new Set(['button', 'overflow', 'radio_buttons', 'checkboxes', ...SELECTS, ...PICKERS]),
  accessory: new Set(['button', 'overflow', 'radio_buttons', 'checkboxes', 'image', ...SELECTS, ...PICKERS]),
  input: new Set([
    'plain_text_input',
    'number_input',
    'email_text_input',
    'url_text_input',
    'radio_buttons',
    'checkboxes',
    'rich_text_input',
    'file_input',
    ...SELECTS,
    ...PICKERS,
  ]),
};

/** Validates a message's `blocks` argument (path `/blocks`). Returns Slack-style error strings. */
export function validateMessageBlocks(blocks: Json): string[] {
  const c = new Checker('message');
  c.blocks(blocks, '/blocks', LIMITS.blocksPerMessage);
  return c.errors;
}

/** Validates a view object (modal or home) as given to views.open/push/update/publish (path `/view`). */
export function validateView(view: Json): string[] {
  if (!isObj(view)) return ['must provide an object [json-pointer:/view]'];
  const type = view.type;
  if (type !== 'modal' && type !== 'home') return ['must be a valid enum value [json-pointer:/view/type]'];
  const c = new Checker(type);
  const p = '/view';
  if (type === 'modal') {
    c.text(view.title, `${p}/title`, LIMITS.viewTitle, { plainOnly: true });
    if (view.submit !== undefined) c.text(view.submit, `${p}/submit`, LIMITS.viewButton, { plainOnly: true });
    if (view.close !== undefined) c.text(view.close, `${p}/close`, LIMITS.viewButton, { plainOnly: true });
    const hasInput = Array.isArray(view.blocks) && view.blocks.some((b) => isObj(b) && b.type === 'input');
    if (hasInput && view.submit === undefined) {
      c.err(`${p}/submit`, 'must provide submit when the view contains input blocks');
    }
  }
  if (view.private_metadata !== undefined) {
    c.str(view.private_metadata, `${p}/private_metadata`, LIMITS.privateMetadata, { min: 0 });
  }
  if (view.callback_id !== undefined)
    c.str(view.callback_id, `${p}/callback_id`, LIMITS.callbackId, { min: 0 });
  if (view.external_id !== undefined) c.str(view.external_id, `${p}/external_id`, LIMITS.externalId);
  c.blocks(view.blocks, `${p}/blocks`, LIMITS.blocksPerView);
  const bytes = Buffer.byteLength(JSON.stringify(view), 'utf8');
  if (bytes > LIMITS.viewBytes) c.err(p, `must be less than ${LIMITS.viewBytes} bytes (got ${bytes})`);
  return c.errors;
}

/** Message text limit (chat.postMessage/update answer `msg_too_long` above it). */
export function messageTextTooLong(text: unknown): boolean {
  return typeof text === 'string' && text.length > LIMITS.messageText;
}
