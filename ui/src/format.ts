// Small display helpers for the library.

/** "certified-developer" → "Certified Developer". */
export function trackLabel(track: string): string {
  return track
    .split(/[-_\s]+/)
    .filter((word) => word.length > 0)
    .map((word) => word[0]?.toUpperCase() + word.slice(1))
    .join(" ");
}

/** Estimated study time: minutes under an hour, else hours rounded to the half hour. */
export function studyTime(minutes: number): string {
  if (minutes < 60) return `${minutes} min`;
  const hours = Math.round((minutes / 60) * 2) / 2;
  return `${hours} h`;
}
