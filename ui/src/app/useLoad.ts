// Loading data for a screen from the shell's commands, with loading and failed states.
import { useCallback, useEffect, useState } from "react";
import { toUiError, type UiError } from "../ipc.ts";

export type Loaded<T> = { status: "loading" } | { status: "ready"; data: T } | { status: "failed"; error: UiError };

type CommandResult<T> = { status: "ok"; data: T } | { status: "error"; error: unknown };

/** The data of a command's result; its error, decoded, is thrown. */
export async function unwrap<T>(result: Promise<CommandResult<T>>): Promise<T> {
  const settled = await result;
  if (settled.status === "error") throw toUiError(settled.error);
  return settled.data;
}

/**
 * Runs `load` now and whenever `key` changes (or `reload` is called). Keeps showing the
 * previous data while reloading, so a refresh does not flash a loading state.
 */
export function useLoad<T>(load: () => Promise<T>, key: unknown): [Loaded<T>, () => void] {
  const [state, setState] = useState<Loaded<T>>({ status: "loading" });
  const [attempt, setAttempt] = useState(0);

  useEffect(() => {
    let current = true;
    load().then(
      (data) => current && setState({ status: "ready", data }),
      (error: unknown) => current && setState({ status: "failed", error: toUiError(error) }),
    );
    return () => {
      current = false;
    };
    // `load` is a fresh closure on every render; `key` says when its inputs changed.
  }, [key, attempt]);

  const reload = useCallback(() => setAttempt((value) => value + 1), []);
  return [state, reload];
}
