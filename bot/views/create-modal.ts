import type { types } from '@slack/bolt';
import type { ImageConfig, Limits } from '../../provisioner/api.ts';
import { CALLBACKS, CREATE_BLOCKS, CREATE_INPUTS, CUSTOM_SIZE } from '../constants.ts';
import { clip, context, plain, section } from './blocks.ts';

type Option = types.PlainTextOption;

export interface CreateModalOptions {
  images: readonly ImageConfig[];
  sizes: Readonly<Record<string, { cpu: number; memoryGiB: number }>>;
  limits: Limits;
  /** Lease choices in display form ("1d", "7d"), default first. */
  leases: readonly string[];
  defaultLease: string;
}

const option = (text: string, value: string, description?: string): Option => ({
  text: plain(text, 75),
  value: clip(value, 75),
  ...(description ? { description: plain(description, 75) } : {}),
});

const numberInput = (o: {
  blockId: string;
  actionId: string;
  label: string;
  max: number;
  hint: string;
  initial?: number;
}): types.InputBlock => ({
  type: 'input',
  block_id: o.blockId,
  optional: true,
  label: plain(o.label, 2000),
  hint: plain(o.hint, 2000),
  element: {
    type: 'number_input',
    action_id: o.actionId,
    is_decimal_allowed: false,
    min_value: '1',
    max_value: String(Math.max(1, o.max)),
    ...(o.initial !== undefined ? { initial_value: String(o.initial) } : {}),
  },
});

/** Presets that fit what this user may create now; the others are listed as unavailable in the hint. */
export function fittingSizes(
  sizes: CreateModalOptions['sizes'],
  limits: Limits,
): { fit: string[]; tooBig: string[] } {
  const fit: string[] = [];
  const tooBig: string[] = [];
  for (const [name, s] of Object.entries(sizes))
    (s.cpu <= limits.maxCpu && s.memoryGiB <= limits.maxMemoryGiB ? fit : tooBig).push(name);
  return { fit, tooBig };
}

export function createModal(o: CreateModalOptions): types.ModalView {
  const { fit, tooBig } = fittingSizes(o.sizes, o.limits);
  const sizeOptions = [
    ...fit.map((name) => {
      const s = o.sizes[name]!;
      return option(`${name} — ${s.cpu} CPU, ${s.memoryGiB} GiB`, name);
    }),
    option('Custom (CPU and memory below)', CUSTOM_SIZE),
  ];
  const imageOptions = o.images.slice(0, 100).map((i) => option(i.name, i.name, i.description || undefined));
  const leaseOptions = o.leases.slice(0, 100).map((l) => option(l, l));
  const maxDisk = o.limits.maxDiskGiB;
  return {
    type: 'modal',
    callback_id: CALLBACKS.createModal,
    title: plain('New machine', 24),
    submit: plain('Create', 24),
    close: plain('Cancel', 24),
    blocks: [
      section(
        `You can create up to *${o.limits.instancesLeft}* more machine${o.limits.instancesLeft === 1 ? '' : 's'}; at most *${o.limits.maxCpu} CPU*, *${o.limits.maxMemoryGiB} GiB* memory and *${maxDisk} GiB* disk for one machine right now.`,
      ),
      {
        type: 'input',
        block_id: CREATE_BLOCKS.name,
        label: plain('Name'),
        hint: plain('Lowercase letters, digits and "-", starting with a letter; unique among your machines.'),
        element: {
          type: 'plain_text_input',
          action_id: CREATE_INPUTS.name,
          max_length: 40,
          placeholder: plain('web1', 150),
        },
      },
      {
        type: 'input',
        block_id: CREATE_BLOCKS.image,
        label: plain('Image'),
        element: {
          type: 'static_select',
          action_id: CREATE_INPUTS.image,
          options: imageOptions,
          ...(imageOptions[0] ? { initial_option: imageOptions[0] } : {}),
        },
      },
      {
        type: 'input',
        block_id: CREATE_BLOCKS.size,
        label: plain('Size'),
        ...(tooBig.length
          ? { hint: plain(`Too big for your quota or the cluster right now: ${tooBig.join(', ')}.`) }
          : {}),
        element: {
          type: 'static_select',
          action_id: CREATE_INPUTS.size,
          options: sizeOptions,
          initial_option: sizeOptions[0]!,
        },
      },
      numberInput({
        blockId: CREATE_BLOCKS.cpu,
        actionId: CREATE_INPUTS.cpu,
        label: 'CPUs (custom size)',
        max: o.limits.maxCpu,
        hint: `Only with size "Custom": 1 to ${o.limits.maxCpu}.`,
      }),
      numberInput({
        blockId: CREATE_BLOCKS.memoryGiB,
        actionId: CREATE_INPUTS.memoryGiB,
        label: 'Memory in GiB (custom size)',
        max: o.limits.maxMemoryGiB,
        hint: `Only with size "Custom": 1 to ${o.limits.maxMemoryGiB}.`,
      }),
      numberInput({
        blockId: CREATE_BLOCKS.diskGiB,
        actionId: CREATE_INPUTS.diskGiB,
        label: 'Disk in GiB',
        max: maxDisk,
        hint: `Leave empty for the image's default; at most ${maxDisk}. Copy-on-write: size costs nothing until used.`,
      }),
      {
        type: 'input',
        block_id: CREATE_BLOCKS.lease,
        label: plain('Lease'),
        hint: plain('You are reminded before it ends and can extend it.'),
        element: {
          type: 'static_select',
          action_id: CREATE_INPUTS.lease,
          options: leaseOptions,
          initial_option: leaseOptions.find((l) => l.value === o.defaultLease) ?? leaseOptions[0]!,
        },
      },
      context('The machine keeps its disk when stopped; idle machines are stopped after a warning.'),
    ],
  };
}
