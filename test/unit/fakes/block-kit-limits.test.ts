import { describe, expect, it } from 'vitest';
import {
  messageTextTooLong,
  validateMessageBlocks,
  validateView,
} from '../../fakes/slack/block-kit-limits.ts';

const pt = (text: string) => ({ type: 'plain_text', text });
const md = (text: string) => ({ type: 'mrkdwn', text });
const section = (text: string, extra: Record<string, unknown> = {}) => ({
  type: 'section',
  text: md(text),
  ...extra,
});
const button = (action_id: string, extra: Record<string, unknown> = {}) => ({
  type: 'button',
  text: pt('Go'),
  action_id,
  ...extra,
});
const opt = (v: string, text = v) => ({ text: pt(text), value: v });
const modal = (extra: Record<string, unknown> = {}) => ({
  type: 'modal',
  title: pt('Create'),
  blocks: [],
  ...extra,
});

const one = (errors: string[]) => {
  expect(errors).toHaveLength(1);
  return errors[0];
};

describe('message blocks', () => {
  it('accepts a realistic message', () => {
    expect(
      validateMessageBlocks([
        { type: 'header', text: pt('Instance dev1 is ready') },
        section('*dev1* `ssh dev1@host`', { accessory: button('open', { url: 'https://example.com' }) }),
        { type: 'section', fields: [md('*CPU*\n4'), md('*Memory*\n16 GiB')] },
        { type: 'divider' },
        { type: 'context', elements: [md('lease ends in 3 days')] },
        {
          type: 'actions',
          block_id: 'inst',
          elements: [
            button('extend', { style: 'primary', value: 'dev1' }),
            button('delete', {
              style: 'danger',
              confirm: { title: pt('Delete?'), text: md('Really?'), confirm: pt('Delete'), deny: pt('Keep') },
            }),
            {
              type: 'static_select',
              action_id: 'size',
              options: [opt('s'), opt('m')],
              initial_option: opt('m'),
            },
            { type: 'overflow', action_id: 'more', options: [opt('a'), opt('b')] },
          ],
        },
      ]),
    ).toEqual([]);
  });

  it('limits the number of blocks to 50', () => {
    const blocks = Array.from({ length: 51 }, () => ({ type: 'divider' }));
    expect(one(validateMessageBlocks(blocks))).toBe('no more than 50 items allowed [json-pointer:/blocks]');
    expect(validateMessageBlocks(blocks.slice(0, 50))).toEqual([]);
  });

  it('limits section text, fields, header, context, actions', () => {
    expect(one(validateMessageBlocks([section('x'.repeat(3001))]))).toBe(
      'must be less than 3001 characters [json-pointer:/blocks/0/text/text]',
    );
    expect(validateMessageBlocks([section('x'.repeat(3000))])).toEqual([]);
    const fields = Array.from({ length: 11 }, () => md('f'));
    expect(one(validateMessageBlocks([{ type: 'section', fields }]))).toContain('/blocks/0/fields]');
    expect(one(validateMessageBlocks([{ type: 'section', fields: [md('x'.repeat(2001))] }]))).toContain(
      '/blocks/0/fields/0/text',
    );
    expect(one(validateMessageBlocks([{ type: 'header', text: pt('x'.repeat(151)) }]))).toContain(
      'less than 151',
    );
    expect(one(validateMessageBlocks([{ type: 'header', text: md('x') }]))).toBe(
      'must be plain_text [json-pointer:/blocks/0/text/type]',
    );
    const ctx = Array.from({ length: 11 }, () => md('c'));
    expect(one(validateMessageBlocks([{ type: 'context', elements: ctx }]))).toContain('no more than 10');
    const btns = Array.from({ length: 26 }, (_, i) => button(`b${i}`));
    expect(one(validateMessageBlocks([{ type: 'actions', elements: btns }]))).toContain('no more than 25');
    expect(one(validateMessageBlocks([{ type: 'section' }]))).toContain('either text or fields');
  });

  it('limits buttons and confirm dialogs', () => {
    const actions = (el: unknown) => [{ type: 'actions', elements: [el] }];
    expect(
      one(validateMessageBlocks(actions({ type: 'button', text: pt('x'.repeat(76)), action_id: 'a' }))),
    ).toBe('must be less than 76 characters [json-pointer:/blocks/0/elements/0/text/text]');
    expect(one(validateMessageBlocks(actions({ type: 'button', text: md('b'), action_id: 'a' })))).toContain(
      'must be plain_text',
    );
    expect(one(validateMessageBlocks(actions(button('a', { value: 'v'.repeat(2001) }))))).toContain(
      '/value]',
    );
    expect(
      one(validateMessageBlocks(actions(button('a', { url: `https://x/${'u'.repeat(3000)}` })))),
    ).toContain('/url]');
    expect(one(validateMessageBlocks(actions(button('a', { style: 'blue' }))))).toContain('/style]');
    const confirm = {
      title: pt('t'.repeat(101)),
      text: pt('x'.repeat(301)),
      confirm: pt('c'.repeat(31)),
      deny: pt('d'.repeat(31)),
    };
    const errs = validateMessageBlocks(actions(button('a', { confirm })));
    expect(errs).toHaveLength(4);
    expect(errs[0]).toContain('/confirm/title/text');
  });

  it('checks ids: length and uniqueness', () => {
    expect(one(validateMessageBlocks([{ type: 'divider', block_id: 'b'.repeat(256) }]))).toContain(
      '/block_id]',
    );
    expect(one(validateMessageBlocks([{ type: 'actions', elements: [button('a'.repeat(256))] }]))).toContain(
      '/action_id]',
    );
    expect(
      one(
        validateMessageBlocks([
          { type: 'divider', block_id: 'x' },
          { type: 'divider', block_id: 'x' },
        ]),
      ),
    ).toBe('duplicate block_id [json-pointer:/blocks/1/block_id]');
    expect(one(validateMessageBlocks([{ type: 'actions', elements: [button('a'), button('a')] }]))).toBe(
      'duplicate action_id [json-pointer:/blocks/0/elements/1/action_id]',
    );
    // Same action_id in different blocks is allowed (one "stop" button per instance row).
    expect(
      validateMessageBlocks([
        { type: 'actions', elements: [button('stop', { value: '1' })] },
        { type: 'actions', elements: [button('stop', { value: '2' })] },
      ]),
    ).toEqual([]);
  });

  it('checks options', () => {
    const sel = (extra: Record<string, unknown>) => [
      { type: 'actions', elements: [{ type: 'static_select', action_id: 's', ...extra }] },
    ];
    expect(one(validateMessageBlocks(sel({ options: [opt('v'.repeat(76), 'short')] })))).toContain(
      '/options/0/value]',
    );
    expect(one(validateMessageBlocks(sel({ options: [opt('v', 't'.repeat(76))] })))).toContain(
      '/options/0/text/text]',
    );
    const many = Array.from({ length: 101 }, (_, i) => opt(String(i)));
    expect(one(validateMessageBlocks(sel({ options: many })))).toContain('no more than 100');
    expect(one(validateMessageBlocks(sel({ options: [opt('a')], initial_option: opt('b') })))).toContain(
      'must match one of the options',
    );
    expect(
      validateMessageBlocks(
        sel({ option_groups: [{ label: pt('G'), options: [opt('a')] }], initial_option: opt('a') }),
      ),
    ).toEqual([]);
    const radios = Array.from({ length: 11 }, (_, i) => opt(String(i)));
    expect(
      one(
        validateMessageBlocks([
          { type: 'actions', elements: [{ type: 'radio_buttons', action_id: 'r', options: radios }] },
        ]),
      ),
    ).toContain('no more than 10');
  });

  it('rejects unknown block and element types, bad text objects and input blocks in messages', () => {
    expect(one(validateMessageBlocks([{ type: 'table' }]))).toContain('/blocks/0/type]');
    expect(
      one(validateMessageBlocks([{ type: 'actions', elements: [{ type: 'plain_text_input' }] }])),
    ).toContain('/blocks/0/elements/0/type]');
    expect(one(validateMessageBlocks([{ type: 'section', text: { type: 'html', text: 'x' } }]))).toContain(
      '/blocks/0/text/type]',
    );
    expect(one(validateMessageBlocks([section('')]))).toContain('more than 0 characters');
    const input = { type: 'input', label: pt('Name'), element: { type: 'plain_text_input', action_id: 'n' } };
    expect(one(validateMessageBlocks([input]))).toContain('only allowed in modals');
    expect(one(validateMessageBlocks('nope'))).toBe('must provide an array [json-pointer:/blocks]');
  });

  it('flags message text over 40000 characters', () => {
    expect(messageTextTooLong('x'.repeat(40_000))).toBe(false);
    expect(messageTextTooLong('x'.repeat(40_001))).toBe(true);
  });
});

describe('views', () => {
  const input = (label = 'Name', extra: Record<string, unknown> = {}) => ({
    type: 'input',
    block_id: 'name',
    label: pt(label),
    element: { type: 'plain_text_input', action_id: 'v' },
    ...extra,
  });

  it('accepts a realistic modal and home tab', () => {
    expect(
      validateView(
        modal({
          submit: pt('Create'),
          close: pt('Cancel'),
          callback_id: 'create',
          private_metadata: JSON.stringify({ channel: 'C1' }),
          blocks: [
            input('Name', { hint: pt('lowercase letters') }),
            {
              type: 'input',
              block_id: 'size',
              label: pt('Size'),
              element: { type: 'static_select', action_id: 'v', options: [opt('small'), opt('large')] },
            },
          ],
        }),
      ),
    ).toEqual([]);
    expect(validateView({ type: 'home', blocks: [section('hi')] })).toEqual([]);
  });

  it('limits title/submit/close to 24 plain_text characters', () => {
    expect(one(validateView(modal({ title: pt('t'.repeat(25)) })))).toBe(
      'must be less than 25 characters [json-pointer:/view/title/text]',
    );
    expect(one(validateView(modal({ submit: md('Go') })))).toContain('/view/submit/type]');
    expect(one(validateView(modal({ close: pt('c'.repeat(25)) })))).toContain('/view/close/text]');
    expect(one(validateView({ type: 'modal', blocks: [] }))).toContain('/view/title]');
  });

  it('limits metadata, ids, blocks, label, hint and size', () => {
    expect(one(validateView(modal({ private_metadata: 'm'.repeat(3001) })))).toContain(
      '/view/private_metadata]',
    );
    expect(one(validateView(modal({ callback_id: 'c'.repeat(256) })))).toContain('/view/callback_id]');
    const blocks = Array.from({ length: 101 }, () => ({ type: 'divider' }));
    expect(one(validateView(modal({ blocks })))).toBe(
      'no more than 100 items allowed [json-pointer:/view/blocks]',
    );
    expect(validateView(modal({ blocks: blocks.slice(0, 100) }))).toEqual([]);
    expect(one(validateView(modal({ submit: pt('Go'), blocks: [input('l'.repeat(2001))] })))).toContain(
      '/view/blocks/0/label/text]',
    );
    expect(
      one(validateView(modal({ submit: pt('Go'), blocks: [input('L', { hint: pt('h'.repeat(2001)) })] }))),
    ).toContain('/view/blocks/0/hint/text]');
    const big = Array.from({ length: 90 }, () => section('x'.repeat(2900)));
    expect(validateView(modal({ blocks: big })).some((e) => e.includes('bytes'))).toBe(true);
  });

  it('requires submit with input blocks, and the right type', () => {
    expect(one(validateView(modal({ blocks: [input()] })))).toContain('/view/submit]');
    expect(one(validateView({ type: 'workflow_step' }))).toContain('/view/type]');
    expect(
      one(
        validateView(
          modal({
            blocks: [
              { type: 'divider', block_id: 'a' },
              { type: 'divider', block_id: 'a' },
            ],
          }),
        ),
      ),
    ).toContain('duplicate block_id');
  });
});
