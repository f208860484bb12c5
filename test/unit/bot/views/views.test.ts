// Pure view builders: every surface stays within Slack's Block Kit limits, including extreme inputs.

import { describe, expect, it } from 'vitest';
import { ACTIONS, CREATE_BLOCKS, EXTEND_BY_PATTERN, HOME_PAGE_SIZE } from '../../../../bot/constants.ts';
import { createModal } from '../../../../bot/views/create-modal.ts';
import { localTime } from '../../../../bot/views/format.ts';
import { helpMessage } from '../../../../bot/views/help.ts';
import { homeView } from '../../../../bot/views/home.ts';
import {
  deleteConfirmMessage,
  instanceInfoMessage,
  instanceListMessage,
  sshMessage,
} from '../../../../bot/views/instance-messages.ts';
import { linkPrompt } from '../../../../bot/views/link-prompt.ts';
import { noticeMessage } from '../../../../bot/views/notices.ts';
import { progressMessage } from '../../../../bot/views/progress-message.ts';
import { type JobNotice, parseConfig, type StoredInstance } from '../../../../provisioner/api.ts';
import { validateMessageBlocks, validateView } from '../../../fakes/slack/block-kit-limits.ts';
import { instanceRow, RUNNING } from '../../../support/instances.ts';

const config = (() => {
  const c = parseConfig({});
  if (!c.ok) throw new Error(c.error.message);
  return c.value;
})();
const now = new Date('2030-01-01T12:00:00.000Z');

const instance = (n: number, patch: Partial<StoredInstance> = {}): StoredInstance =>
  instanceRow({ name: `m${n}`, ...RUNNING, readyAt: '2030-01-01T00:01:00.000Z', ...patch });

const usage = {
  quota: { instances: 3, cpu: 16, memoryGiB: 64, diskGiB: 500 },
  used: { instances: 1, cpu: 2, memoryGiB: 8, diskGiB: 50 },
  left: { instances: 2, cpu: 14, memoryGiB: 56, diskGiB: 450 },
};

const messageOk = (m: { blocks?: unknown[] }) => expect(validateMessageBlocks(m.blocks ?? [])).toEqual([]);

describe('App Home', () => {
  it('pages many machines: every page is a valid view under 100 blocks, with page buttons', () => {
    const many = Array.from({ length: 260 }, (_, n) =>
      instance(n, { name: `machine-${'x'.repeat(30)}-${n}` }),
    );
    const pages = Math.ceil(many.length / HOME_PAGE_SIZE);
    for (let page = 0; page < pages; page++) {
      const view = homeView({
        instances: many,
        usage,
        page,
        now,
        extendBy: '1d',
        deleteGrace: '7d',
        notice: 'n'.repeat(5000),
      });
      expect(validateView(view)).toEqual([]);
      expect(view.blocks.length).toBeLessThanOrEqual(100);
      const json = JSON.stringify(view);
      expect(json).toContain(`Page ${page + 1} of ${pages}`);
      expect(json.includes(ACTIONS.homePrev)).toBe(page > 0);
      expect(json.includes(ACTIONS.homeNext)).toBe(page < pages - 1);
    }
    const clamped = homeView({ instances: many, usage, page: 999, now, extendBy: '1d', deleteGrace: '7d' });
    expect(JSON.stringify(clamped)).toContain(`Page ${pages} of ${pages}`);
  });

  it('buttons carry only the instance id; stopped machines offer Start; delete asks first', () => {
    const view = homeView({
      instances: [instance(1), instance(2, { desired: 'stopped', phase: 'stopped' })],
      usage,
      page: 0,
      now,
      extendBy: '1d',
      deleteGrace: '7d',
    });
    const buttons = JSON.parse(JSON.stringify(view.blocks)).flatMap(
      (b: { elements?: unknown[] }) => b.elements ?? [],
    ) as {
      action_id: string;
      value?: string;
      confirm?: unknown;
    }[];
    for (const b of buttons.filter((b) => b.value !== undefined)) expect(b.value).toMatch(/^m\d-abcde$/);
    expect(buttons.some((b) => b.action_id === ACTIONS.start && b.value === 'm2-abcde')).toBe(true);
    expect(buttons.some((b) => b.action_id === ACTIONS.stop && b.value === 'm1-abcde')).toBe(true);
    expect(buttons.find((b) => b.action_id === ACTIONS.deleteConfirm)?.confirm).toBeDefined();
    expect(buttons.some((b) => EXTEND_BY_PATTERN.test(b.action_id))).toBe(true);
  });

  it('an unlinked user sees only the link button', () => {
    const view = homeView({
      instances: [],
      usage: undefined,
      page: 0,
      now,
      extendBy: '1d',
      deleteGrace: '7d',
      link: { message: 'Link it', url: 'https://x.example/start' },
    });
    expect(validateView(view)).toEqual([]);
    expect(JSON.stringify(view)).toContain('https://x.example/start');
    expect(JSON.stringify(view)).not.toContain(ACTIONS.openCreate);
  });
});

describe('create modal', () => {
  const leases = ['1d', '3d', '7d', '14d', '30d'];
  it('offers only presets within the limits and bounds the number inputs', () => {
    const view = createModal({
      images: config.images,
      sizes: config.sizes,
      limits: { maxCpu: 6, maxMemoryGiB: 24, maxDiskGiB: 300, instancesLeft: 2 },
      leases,
      defaultLease: '7d',
    });
    expect(validateView(view)).toEqual([]);
    const size = view.blocks.find((b) => b.block_id === CREATE_BLOCKS.size) as unknown as {
      element: { options: { value: string }[] };
      hint: { text: string };
    };
    expect(size.element.options.map((o) => o.value)).toEqual(['small', 'medium', 'custom']);
    expect(size.hint.text).toContain('large, xlarge');
    const cpu = view.blocks.find((b) => b.block_id === CREATE_BLOCKS.cpu) as unknown as {
      element: { max_value: string };
    };
    expect(cpu.element.max_value).toBe('6');
    expect(JSON.stringify(view)).toContain(
      '"initial_option":{"text":{"type":"plain_text","text":"7d","emoji":true},"value":"7d"}',
    );
  });

  it('stays valid with a catalog at Slack’s limits (100 images, long descriptions)', () => {
    const images = Array.from({ length: 150 }, (_, n) => ({
      ...config.images[0]!,
      name: `img-${n}`,
      description: 'd'.repeat(150),
    }));
    const view = createModal({
      images,
      sizes: config.sizes,
      limits: { maxCpu: 16, maxMemoryGiB: 64, maxDiskGiB: 500, instancesLeft: 3 },
      leases,
      defaultLease: '7d',
    });
    expect(validateView(view)).toEqual([]);
  });
});

describe('messages', () => {
  it('list, info, ssh, delete confirmation, help and link prompt are valid Block Kit', () => {
    const many = Array.from({ length: 500 }, (_, n) => instance(n, { name: `n${n}-${'y'.repeat(35)}` }));
    const list = instanceListMessage({ instances: many, now, showOwner: true });
    messageOk(list);
    expect(list.blocks!.length).toBeLessThanOrEqual(50);
    expect(instanceListMessage({ instances: [], now }).text).toContain('/tispace create');
    messageOk(
      instanceInfoMessage(
        instance(1, {
          phase: 'failed',
          conditions: [
            {
              type: 'Ready',
              status: 'False',
              reason: 'X',
              message: 'image pull failed',
              lastTransitionTime: '',
            },
          ],
        }),
        now,
      ),
    );
    expect(sshMessage(instance(1)).text).toBe(
      'SSH into m1: `ssh -J tispace@gw.example.com ubuntu@m1-abcde-ssh.tispace`',
    );
    expect(sshMessage(instance(1, { phase: 'provisioning', sshHost: null })).text).toContain(
      'is provisioning',
    );
    const del = deleteConfirmMessage(instance(1), '7d');
    messageOk(del);
    expect(del.text).toContain('snapshot of its disk is taken and kept for 7d');
    expect(del.text).toContain('/tispace restore m1');
    messageOk(helpMessage({ isAdmin: true, unknown: { input: 'x'.repeat(500), suggestion: 'list' } }));
    messageOk(
      linkPrompt({ message: 'Link', url: 'https://tispace.example.com/auth/google/start?state=abc' }),
    );
    expect(linkPrompt({ message: 'Link', url: undefined }).text).toContain('not configured');
  });

  it('the progress message says what is happening, the SSH command when ready, and why it failed', () => {
    const provisioning = progressMessage(instance(1, { phase: 'provisioning', sshHost: null }), {
      from: 'requested',
      to: 'provisioning',
      reason: 'waiting for the disk',
    });
    messageOk(provisioning);
    expect(JSON.stringify(provisioning.blocks)).toContain('waiting for the disk');
    const ready = progressMessage(instance(1));
    messageOk(ready);
    expect(ready.text).toContain('ssh -J tispace@gw.example.com ubuntu@m1-abcde-ssh.tispace');
    const failed = progressMessage(instance(1, { phase: 'failed' }), {
      from: 'provisioning',
      to: 'failed',
      reason: '0/3 nodes are available: Insufficient cpu',
    });
    messageOk(failed);
    expect(failed.text).toContain('Insufficient cpu');
    expect(JSON.stringify(failed.blocks)).toContain('What to do');
  });

  it('notices render in the user’s time zone and offer only the allowed extensions', () => {
    const reminder = noticeMessage(
      {
        kind: 'lease-reminder',
        instance: instance(1),
        endsAt: '2030-01-03T15:00:00.000Z',
        final: true,
        buttons: { extendOptions: [86_400_000], canStop: true, canDelete: false },
      },
      'Asia/Tokyo',
    );
    messageOk(reminder);
    const json = JSON.stringify(reminder.blocks);
    expect(json).toContain('00:00 GMT+9');
    expect(json).toContain('instance_extend:1d');
    expect(json).not.toContain('instance_extend:3d');
    expect(json).not.toContain(ACTIONS.deleteAsk);
    const maxed = noticeMessage(
      {
        kind: 'lease-reminder',
        instance: instance(1),
        endsAt: '2030-01-03T15:00:00.000Z',
        final: false,
        buttons: { extendOptions: [], canStop: false, canDelete: false },
      },
      undefined,
    );
    messageOk(maxed);
    expect(JSON.stringify(maxed.blocks)).toContain('cannot be extended');
    const others: JobNotice[] = [
      { kind: 'lease-expired', instance: instance(1) },
      {
        kind: 'idle-warning',
        instance: instance(1),
        evidence: 'CPU < 2%',
        stopAt: '2030-01-01T14:00:00.000Z',
      },
      { kind: 'idle-stopped', instance: instance(1), evidence: 'CPU < 2%' },
      {
        kind: 'retention-reminder',
        instance: instance(1),
        deleteAt: '2030-01-10T00:00:00.000Z',
        final: false,
      },
      { kind: 'snapshot-taken', instance: instance(1), restoreUntil: '2030-01-17T00:00:00.000Z' },
      { kind: 'offboarded', userId: 'UBOB', stopped: [instance(1)], reason: 'left' },
    ];
    for (const n of others) messageOk(noticeMessage(n, 'Europe/Berlin'));
  });

  it('an unknown time zone falls back to UTC', () => {
    expect(localTime('2030-01-03T15:00:00.000Z', 'Not/AZone')).toBe('2030-01-03 15:00 UTC');
  });
});
