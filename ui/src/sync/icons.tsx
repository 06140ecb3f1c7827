// The sync icons (decorative, like the others: their control carries the words).
export function SyncIcon({ spinning = false }: { spinning?: boolean }) {
  return (
    <svg className={spinning ? "icon sync-icon sync-icon--spinning" : "icon sync-icon"} viewBox="0 0 24 24" aria-hidden="true" focusable="false">
      <path d="M20 12a8 8 0 0 1-13.7 5.6M4 12a8 8 0 0 1 13.7-5.6" />
      <path d="M18 2.5v4.2h-4.2M6 21.5v-4.2h4.2" />
    </svg>
  );
}

export function KeyIcon() {
  return (
    <svg className="icon" viewBox="0 0 24 24" aria-hidden="true" focusable="false">
      <circle cx="8" cy="15" r="4" />
      <path d="M11 12l8-8M16 7l2.5 2.5M14 9l2 2" />
    </svg>
  );
}
