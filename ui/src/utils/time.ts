const UNITS: [Intl.RelativeTimeFormatUnit, number][] = [
  ["year", 365 * 24 * 3600],
  ["month", 30 * 24 * 3600],
  ["week", 7 * 24 * 3600],
  ["day", 24 * 3600],
  ["hour", 3600],
  ["minute", 60],
  ["second", 1],
];

const relativeFormat = new Intl.RelativeTimeFormat("en", { numeric: "auto" });
const absoluteFormat = new Intl.DateTimeFormat("en", { dateStyle: "medium", timeStyle: "short" });

/** "in 3 hours", "5 minutes ago" for an ISO time relative to `now`. */
export const relativeTime = (iso: string, now: number = Date.now()): string => {
  const seconds = Math.round((new Date(iso).getTime() - now) / 1000);
  for (const [unit, size] of UNITS) {
    if (Math.abs(seconds) >= size || unit === "second") {
      return relativeFormat.format(Math.trunc(seconds / size), unit);
    }
  }
  return relativeFormat.format(0, "second");
};

/** A readable absolute time in the browser's time zone. */
export const absoluteTime = (iso: string): string => absoluteFormat.format(new Date(iso));

/** Whether a pending request's deadline has passed. */
export const isOverdue = (deadline: string | null, status: string, now: number = Date.now()): boolean =>
  deadline !== null && status === "pending" && new Date(deadline).getTime() <= now;
