import { randomBytes } from 'node:crypto';

export const NAME_HELP =
  '1–40 characters: lowercase letters, digits and "-", starting with a letter and not ending with "-"';
const NAME_RE = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;

export function validateName(name: string): string | undefined {
  if (name.length === 0) return `a name is required (${NAME_HELP})`;
  if (name.length > 40) return `"${name.slice(0, 60)}" is ${name.length} characters; names are ${NAME_HELP}`;
  if (!NAME_RE.test(name)) return `"${name}" is not a valid name; names are ${NAME_HELP}`;
  if (looksLikeInstanceId(name))
    return `"${name}" looks like an instance id (a name, "-" and 5 of ${ALPHABET}); choose a name that does not end like one`;
  return undefined;
}

const ALPHABET = 'bcdfghjklmnpqrstvwxz2456789';
const ID_RE = new RegExp(`^[a-z]([-a-z0-9]*[a-z0-9])?-[${ALPHABET}]{5}$`);

/** The shape of newInstanceId's ids. Names may not take it, so a reference is never both. */
export function looksLikeInstanceId(ref: string): boolean {
  return ID_RE.test(ref);
}

/** Instance id = name + 5 random characters: unique, DNS-1123/1035, and stable once written. */
export function newInstanceId(name: string): string {
  const bytes = randomBytes(5);
  let suffix = '';
  for (const byte of bytes) suffix += ALPHABET[byte % ALPHABET.length];
  return `${name}-${suffix}`;
}

/**
 * Object names of one instance (the contract in DESIGN.md). Each restore starts a new generation, so the
 * snapshot taken before a later deletion can never be mistaken for the older one it was restored from.
 */
export const objectNames = (id: string, generation = 1) => ({
  pod: id,
  pvc: `${id}-root`,
  secret: `${id}-ssh`,
  service: `${id}-ssh`,
  finalSnapshot: generation > 1 ? `${id}-final-${generation}` : `${id}-final`,
});
