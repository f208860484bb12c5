import type { StoredInstance } from '../store/instances-repo.ts';

// Why an instance cannot be stopped or deleted as it is now: one wording for the owner's request and
// the policy action alike (undefined: go ahead).

export function stopRefusal(i: Pick<StoredInstance, 'name' | 'desired' | 'phase'>): string | undefined {
  if (i.desired === 'deleted') return `${i.name} is being deleted`;
  if (i.desired === 'stopped')
    return `${i.name} is already ${i.phase === 'stopped' ? 'stopped' : 'stopping'}`;
  return undefined;
}

export const deleteRefusal = (i: Pick<StoredInstance, 'name' | 'desired'>): string | undefined =>
  i.desired === 'deleted' ? `${i.name} is already being deleted` : undefined;

/** What a stop changes (the reconciler does the rest). */
export const STOP_PATCH = { desired: 'stopped' } as const;

/** What a delete changes (the reconciler snapshots the disk before it goes). */
export const DELETE_PATCH = { desired: 'deleted', phase: 'deleting' } as const;
