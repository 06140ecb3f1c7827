// Display helpers shared by the screens: durations, dates and labels in the UI's language.
import i18next from "./i18n.ts";

/** "certified-developer" → "Certified Developer". */
export function trackLabel(track: string): string {
  return track
    .split(/[-_\s]+/)
    .filter((word) => word.length > 0)
    .map((word) => word[0]?.toUpperCase() + word.slice(1))
    .join(" ");
}

function number(value: number, fractionDigits = 0): string {
  return new Intl.NumberFormat(i18next.language, { maximumFractionDigits: fractionDigits }).format(value);
}

/** An estimated study time: minutes under an hour, else hours rounded to the half hour. */
export function studyTime(minutes: number): string {
  if (minutes < 60) return i18next.t("time.minutes", { count: minutes, value: number(minutes) });
  const hours = Math.round((minutes / 60) * 2) / 2;
  return i18next.t("time.hours", { count: hours, value: number(hours, 1) });
}

/** Time actually spent: "1 h 20 min", "45 min", "under a minute". */
export function timeSpent(seconds: number): string {
  const minutes = Math.round(seconds / 60);
  if (seconds > 0 && minutes === 0) return i18next.t("time.underAMinute");
  if (minutes < 60) return i18next.t("time.minutes", { count: minutes, value: number(minutes) });
  const hours = Math.floor(minutes / 60);
  const rest = minutes % 60;
  const whole = i18next.t("time.hours", { count: hours, value: number(hours) });
  return rest === 0 ? whole : `${whole} ${i18next.t("time.minutes", { count: rest, value: number(rest) })}`;
}

/** A percentage of 0–100 as the language writes it: "42 %" in German, "42%" in English. */
export function percent(value: number): string {
  return new Intl.NumberFormat(i18next.language, { style: "percent", maximumFractionDigits: 0 }).format(value / 100);
}

/** A calendar day ("2026-11-24") as a short date, read in local time. */
export function shortDay(day: string): string {
  const [year, month, date] = day.split("-").map(Number);
  return new Intl.DateTimeFormat(i18next.language, { weekday: "short", day: "numeric", month: "short" }).format(
    new Date(year ?? 1970, (month ?? 1) - 1, date ?? 1),
  );
}

/** An RFC 3339 time as a date and time. */
export function dateTime(rfc3339: string): string {
  const when = new Date(rfc3339);
  if (Number.isNaN(when.getTime())) return rfc3339;
  return new Intl.DateTimeFormat(i18next.language, { dateStyle: "medium", timeStyle: "short" }).format(when);
}
