import type { CreateRequest } from '../../provisioner/api.ts';
import { CREATE_BLOCKS, CREATE_INPUTS, CUSTOM_SIZE } from '../constants.ts';

type StateValues = Record<
  string,
  Record<string, { value?: string | null; selected_option?: { value: string } | null } | undefined>
>;

export type FormErrors = Partial<Record<(typeof CREATE_BLOCKS)[keyof typeof CREATE_BLOCKS], string>>;

const text = (values: StateValues, block: string, action: string): string | undefined => {
  const input = values[block]?.[action];
  const v = input?.selected_option?.value ?? input?.value ?? undefined;
  return v === null || v === undefined || v.trim() === '' ? undefined : v.trim();
};

/** Reads the create form into a request, or the per-block errors of what is missing or malformed. */
export function readCreateForm(
  values: StateValues,
): { ok: true; request: CreateRequest } | { ok: false; errors: FormErrors } {
  const errors: FormErrors = {};
  const name = text(values, CREATE_BLOCKS.name, CREATE_INPUTS.name) ?? '';
  const image = text(values, CREATE_BLOCKS.image, CREATE_INPUTS.image);
  const size = text(values, CREATE_BLOCKS.size, CREATE_INPUTS.size);
  const lease = text(values, CREATE_BLOCKS.lease, CREATE_INPUTS.lease);
  const whole = (
    block: (typeof CREATE_BLOCKS)[keyof typeof CREATE_BLOCKS],
    action: string,
    label: string,
  ) => {
    const v = text(values, block, action);
    if (v === undefined) return undefined;
    if (!/^\d{1,6}$/.test(v)) {
      errors[block] = `${label} must be a whole number`;
      return undefined;
    }
    return Number(v);
  };
  const custom = size === CUSTOM_SIZE;
  const cpu = whole(CREATE_BLOCKS.cpu, CREATE_INPUTS.cpu, 'CPUs');
  const memoryGiB = whole(CREATE_BLOCKS.memoryGiB, CREATE_INPUTS.memoryGiB, 'Memory');
  const diskGiB = whole(CREATE_BLOCKS.diskGiB, CREATE_INPUTS.diskGiB, 'Disk');
  if (custom && cpu === undefined && !errors[CREATE_BLOCKS.cpu])
    errors[CREATE_BLOCKS.cpu] = 'With size "Custom", enter the number of CPUs';
  if (custom && memoryGiB === undefined && !errors[CREATE_BLOCKS.memoryGiB])
    errors[CREATE_BLOCKS.memoryGiB] = 'With size "Custom", enter the memory in GiB';
  if (!custom && (cpu !== undefined || memoryGiB !== undefined))
    errors[CREATE_BLOCKS.size] = 'Choose "Custom" to set CPUs and memory yourself, or clear those fields';
  if (Object.keys(errors).length) return { ok: false, errors };
  return {
    ok: true,
    request: {
      name,
      ...(image ? { image } : {}),
      ...(custom ? { cpu: cpu!, memoryGiB: memoryGiB! } : size ? { size } : {}),
      ...(diskGiB !== undefined ? { diskGiB } : {}),
      ...(lease ? { lease } : {}),
    },
  };
}

/**
 * Which input a provisioner error belongs to. CPU/memory problems of a preset size belong to the size
 * select (the number fields are empty then); errors without a field (quota) go there too.
 */
export function blockForField(
  field: string | undefined,
  custom: boolean,
): (typeof CREATE_BLOCKS)[keyof typeof CREATE_BLOCKS] {
  switch (field) {
    case 'name':
      return CREATE_BLOCKS.name;
    case 'image':
      return CREATE_BLOCKS.image;
    case 'lease':
      return CREATE_BLOCKS.lease;
    case 'diskGiB':
      return CREATE_BLOCKS.diskGiB;
    case 'cpu':
      return custom ? CREATE_BLOCKS.cpu : CREATE_BLOCKS.size;
    case 'memoryGiB':
      return custom ? CREATE_BLOCKS.memoryGiB : CREATE_BLOCKS.size;
    default:
      return CREATE_BLOCKS.size;
  }
}
