// Announcements for screen readers: one polite and one assertive live region, mounted
// once by `<Announcer />`, and `announce()` to speak a message from anywhere.

type Politeness = "polite" | "assertive";
type Listener = (message: string, politeness: Politeness) => void;

const listeners = new Set<Listener>();

/** Speaks `message` through the live regions (already translated text). */
export function announce(message: string, politeness: Politeness = "polite"): void {
  for (const listener of listeners) listener(message, politeness);
}

export function onAnnounce(listener: Listener): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}
