// The background sync's state for the whole UI: read once from the shell, then kept
// current by its `syncStateChanged` events. The header indicator and the Sync screen
// both read it through `useSyncState`.
import { useSyncExternalStore } from "react";
import { commands, events, type SyncState } from "../bindings.ts";

let current: SyncState | null = null;
let started = false;
const listeners = new Set<() => void>();

function set(state: SyncState) {
  current = state;
  for (const listener of listeners) listener();
}

function start() {
  if (started) return;
  started = true;
  void events.syncStateChanged.listen(({ payload }) => set(payload.state));
  void commands.syncStatus().then((result) => {
    // An event may have arrived first; it is newer.
    if (result.status === "ok" && current === null) set(result.data);
  });
}

function subscribe(listener: () => void) {
  start();
  listeners.add(listener);
  return () => {
    listeners.delete(listener);
  };
}

/** The latest sync state; `null` until the shell has answered. */
export function useSyncState(): SyncState | null {
  return useSyncExternalStore(subscribe, () => current);
}

/**
 * Changes whenever a sync round finishes well (it may have installed packs): screens
 * that list installed content reload on it.
 */
export function useLastSync(): string | null {
  return useSyncState()?.last_sync_at ?? null;
}
