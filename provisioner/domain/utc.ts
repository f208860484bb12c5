/** "2025-01-31 14:00 UTC": a time to the minute, for anyone whose time zone is unknown (and for admins). */
export const formatUtc = (at: number | string | Date): string =>
  `${new Date(at).toISOString().slice(0, 16).replace('T', ' ')} UTC`;
