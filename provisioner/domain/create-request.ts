import type { ImageConfig, TiSpaceConfig } from '../config/schema.ts';
import { DURATION_HELP, formatDuration, parseDuration } from './duration.ts';
import type { InstanceSpec } from './instance.ts';
import { validateName } from './names.ts';

/** What a front end passes to create; everything but the name is optional. */
export interface CreateRequest {
  name: string;
  image?: string;
  size?: string;
  cpu?: number;
  memoryGiB?: number;
  diskGiB?: number;
  /** A duration ("3d") or milliseconds. */
  lease?: string | number;
}

export interface ResolvedRequest {
  name: string;
  spec: InstanceSpec;
  image: ImageConfig;
  leaseMs: number;
}

export type FieldProblem = { field: string; message: string };

const isWhole = (n: number) => Number.isInteger(n);

/** Applies the catalog, presets and per-instance limits. Quota and capacity are checked later. */
export function resolveCreateRequest(
  config: TiSpaceConfig,
  req: CreateRequest,
): { ok: true; value: ResolvedRequest } | { ok: false; problems: FieldProblem[] } {
  const problems: FieldProblem[] = [];
  const nameProblem = validateName(req.name);
  if (nameProblem) problems.push({ field: 'name', message: nameProblem });

  const imageNames = config.images.map((i) => i.name);
  const image = req.image === undefined ? config.images[0] : config.images.find((i) => i.name === req.image);
  if (!image)
    problems.push({
      field: 'image',
      message: `image "${req.image}" is not available; choose one of: ${imageNames.join(', ')}`,
    });

  const presetNames = Object.keys(config.sizes);
  const preset = req.size === undefined ? undefined : config.sizes[req.size];
  if (req.size !== undefined && !preset)
    problems.push({
      field: 'size',
      message: `size "${req.size}" does not exist; choose one of: ${presetNames.join(', ')}`,
    });
  const fallback = config.sizes.small ?? Object.values(config.sizes)[0] ?? { cpu: 2, memoryGiB: 8 };
  const cpu = req.cpu ?? preset?.cpu ?? fallback.cpu;
  const memoryGiB = req.memoryGiB ?? preset?.memoryGiB ?? fallback.memoryGiB;
  const { maxCpu, maxMemoryGiB, maxDiskGiB } = config.limits;
  if (!isWhole(cpu) || cpu < 1 || cpu > maxCpu)
    problems.push({
      field: 'cpu',
      message: `cpu must be a whole number of CPUs from 1 to ${maxCpu}; got ${cpu}`,
    });
  if (!isWhole(memoryGiB) || memoryGiB < 1 || memoryGiB > maxMemoryGiB)
    problems.push({
      field: 'memoryGiB',
      message: `memory must be a whole number of GiB from 1 to ${maxMemoryGiB}; got ${memoryGiB}`,
    });
  const minDisk = image?.minDiskGiB ?? 1;
  const diskGiB = req.diskGiB ?? image?.defaultDiskGiB ?? minDisk;
  if (!isWhole(diskGiB) || diskGiB < minDisk || diskGiB > maxDiskGiB)
    problems.push({
      field: 'diskGiB',
      message: `disk must be a whole number of GiB from ${minDisk} to ${maxDiskGiB}${image ? ` for ${image.name}` : ''}; got ${diskGiB}`,
    });

  const { defaultLease, maxLease } = config.policy;
  let leaseMs = defaultLease;
  if (req.lease !== undefined) {
    const parsed = typeof req.lease === 'number' ? req.lease : parseDuration(req.lease);
    if (parsed === undefined || parsed <= 0)
      problems.push({
        field: 'lease',
        message: `lease "${req.lease}" is not a duration; use ${DURATION_HELP}, at most ${formatDuration(maxLease)}`,
      });
    else if (parsed > maxLease)
      problems.push({
        field: 'lease',
        message: `lease ${formatDuration(parsed)} is longer than the maximum of ${formatDuration(maxLease)}`,
      });
    else leaseMs = parsed;
  }
  if (problems.length > 0 || !image) return { ok: false, problems };
  return {
    ok: true,
    value: { name: req.name, image, spec: { image: image.name, cpu, memoryGiB, diskGiB }, leaseMs },
  };
}
