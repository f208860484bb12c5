// Wall-clock helpers in a user's own time zone (pure). A missing or unknown zone means UTC.

const formatters = new Map<string, Intl.DateTimeFormat>();

/** The zone itself if Intl knows it, else 'UTC' (Slack may send nothing, or a zone this runtime lacks). */
export function zoneOrUtc(tz: string | null | undefined): string {
  if (!tz) return 'UTC';
  try {
    formatterFor(tz);
    return tz;
  } catch {
    return 'UTC';
  }
}

function formatterFor(tz: string): Intl.DateTimeFormat {
  let f = formatters.get(tz);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone: tz,
      year: 'numeric',
      month: 'short',
      day: 'numeric',
      hour: '2-digit',
      minute: '2-digit',
      hourCycle: 'h23',
    });
    formatters.set(tz, f);
  }
  return f;
}

export interface LocalTime {
  year: number;
  /** Short month name, e.g. "Jan". */
  month: string;
  day: number;
  hour: number;
  minute: number;
}

export function localTime(at: Date, tz: string | null | undefined): LocalTime {
  const parts = formatterFor(zoneOrUtc(tz)).formatToParts(at);
  const get = (type: Intl.DateTimeFormatPartTypes) => parts.find((p) => p.type === type)?.value ?? '';
  return {
    year: Number(get('year')),
    month: get('month'),
    day: Number(get('day')),
    hour: Number(get('hour')) % 24,
    minute: Number(get('minute')),
  };
}

export interface QuietHours {
  /** Local hour (0–23) quiet hours begin. */
  start: number;
  /** Local hour (0–23) they end; may be smaller than start (over midnight). Equal: no quiet hours. */
  end: number;
}

/** Whether `at` falls in the quiet hours of the zone `tz`. */
export function inQuietHours(at: Date, tz: string | null | undefined, quiet: QuietHours): boolean {
  if (quiet.start === quiet.end) return false;
  const { hour } = localTime(at, tz);
  return quiet.start < quiet.end
    ? hour >= quiet.start && hour < quiet.end
    : hour >= quiet.start || hour < quiet.end;
}

const pad = (n: number) => String(n).padStart(2, '0');

/** "09:12" when `at` is the same local day as `now`, else "Jan 3 09:12" (year added if it differs). */
export function formatLocalTime(at: Date, now: Date, tz: string | null | undefined): string {
  const a = localTime(at, tz);
  const n = localTime(now, tz);
  const hm = `${pad(a.hour)}:${pad(a.minute)}`;
  if (a.year === n.year && a.month === n.month && a.day === n.day) return hm;
  return a.year === n.year ? `${a.month} ${a.day} ${hm}` : `${a.month} ${a.day} ${a.year} ${hm}`;
}

/** Rounded-down span for people: "45 min", "6 h", "6 h 30 min", "3 d 2 h". */
export function formatSpan(ms: number): string {
  const minutes = Math.max(0, Math.floor(ms / 60_000));
  if (minutes < 60) return `${minutes} min`;
  const hours = Math.floor(minutes / 60);
  if (hours < 48) return minutes % 60 ? `${hours} h ${minutes % 60} min` : `${hours} h`;
  const days = Math.floor(hours / 24);
  return hours % 24 ? `${days} d ${hours % 24} h` : `${days} d`;
}
