// Durations in milliseconds, as the configuration and the clock count them.
export const MIN = 60_000;
export const H = 60 * MIN;
export const D = 24 * H;
