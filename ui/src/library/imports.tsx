// Importing course and exam packs, from anywhere in the app: the Import button's file
// dialog, .shpack and .shexam files dropped on the window, and packs the shell imported
// from the watched inbox folder. One import runs at a time; the Library screen shows
// what happens.
import { createContext, useCallback, useContext, useEffect, useMemo, useRef, useState, type ReactNode } from "react";
import { useTranslation } from "react-i18next";
import { open } from "@tauri-apps/plugin-dialog";
import { getCurrentWebview } from "@tauri-apps/api/webview";
import type { UnlistenFn } from "@tauri-apps/api/event";
import { commands, events, type ImportOutcome, type ImportProgress } from "../bindings.ts";
import { toUiError, type UiError } from "../ipc.ts";
import { announce } from "../app/announce.ts";
import { navigate } from "../app/hashLocation.ts";

/** Course packs, and exam packs (installed still encrypted). */
export const PACK_EXTENSIONS = ["shpack", "shexam"];

/** How one pack's import ended. `file` is the file name, without folders. */
type ImportReport =
  | { file: string; source: "dialog" | "inbox"; outcome: ImportOutcome }
  | { file: string; source: "dialog" | "inbox"; error: UiError };
export type ImportResult = ImportReport & { id: number };

export type ImportsState = {
  /** The pack being imported now, with the shell's latest progress report. */
  running: { file: string; progress: ImportProgress | null; queued: number } | null;
  /** Results not yet dismissed, newest first. */
  results: ImportResult[];
  /** Files are being dragged over the window: "packs" if any of them is a course pack. */
  dragging: "packs" | "other" | null;
  /** Goes up whenever the library may have changed; screens reload when it does. */
  libraryVersion: number;
  chooseAndImport(): Promise<void>;
  importFiles(paths: string[]): Promise<void>;
  dismiss(id: number): void;
};

const ImportsContext = createContext<ImportsState | null>(null);

function fileName(path: string): string {
  return path.split(/[\\/]/).pop() ?? path;
}

function isPack(path: string): boolean {
  const lower = path.toLowerCase();
  return PACK_EXTENSIONS.some((extension) => lower.endsWith(`.${extension}`));
}

let nextId = 1;

/** Runs a subscription that needs the Tauri shell; outside it (a plain browser) it does nothing. */
function subscribe(start: () => Promise<UnlistenFn>): () => void {
  let unlisten: UnlistenFn | null = null;
  let stopped = false;
  try {
    start()
      .then((stop) => (stopped ? stop() : (unlisten = stop)))
      .catch(() => undefined);
  } catch {
    // Not running inside the shell: no events to listen to.
  }
  return () => {
    stopped = true;
    unlisten?.();
  };
}

export function ImportsProvider({ children }: { children: ReactNode }) {
  const { t } = useTranslation("library");
  const [running, setRunning] = useState<ImportsState["running"]>(null);
  const [results, setResults] = useState<ImportResult[]>([]);
  const [dragging, setDragging] = useState<ImportsState["dragging"]>(null);
  const [libraryVersion, setLibraryVersion] = useState(0);
  const busy = useRef(false);
  const queue = useRef<string[]>([]);

  const describe = useCallback(
    (result: ImportReport) =>
      "error" in result
        ? t("import.failed", { file: result.file, message: result.error.message })
        : t(`import.${result.outcome.outcome}`, { file: result.file, ...result.outcome }),
    [t],
  );

  const record = useCallback(
    (result: ImportReport) => {
      setResults((previous) => [{ ...result, id: nextId++ }, ...previous].slice(0, 5));
      announce(describe(result), "error" in result ? "assertive" : "polite");
    },
    [describe],
  );

  const importFiles = useCallback(
    async (paths: string[]) => {
      queue.current.push(...paths);
      if (busy.current) {
        setRunning((current) => current && { ...current, queued: queue.current.length });
        return;
      }
      busy.current = true;
      let changed = false;
      // One announcement for the batch; each result is announced as it comes.
      announce(t("import.started", { count: queue.current.length, file: fileName(queue.current[0] ?? "") }));
      for (let path = queue.current.shift(); path !== undefined; path = queue.current.shift()) {
        const file = fileName(path);
        setRunning({ file, progress: null, queued: queue.current.length });
        try {
          const result = await commands.importPack(path);
          if (result.status === "ok") {
            changed ||= result.data.outcome !== "unchanged";
            record({ file, source: "dialog", outcome: result.data });
          } else {
            record({ file, source: "dialog", error: toUiError(result.error) });
          }
        } catch (thrown) {
          record({ file, source: "dialog", error: toUiError(thrown) });
        }
      }
      setRunning(null);
      busy.current = false;
      if (changed) setLibraryVersion((version) => version + 1);
    },
    [record, t],
  );

  const chooseAndImport = useCallback(async () => {
    try {
      const chosen = await open({
        title: t("import.dialogTitle"),
        multiple: true,
        filters: [{ name: t("import.filterName"), extensions: PACK_EXTENSIONS }],
      });
      if (chosen === null) return;
      await importFiles(Array.isArray(chosen) ? chosen : [chosen]);
    } catch (thrown) {
      record({ file: "", source: "dialog", error: toUiError(thrown) });
    }
  }, [importFiles, record, t]);

  // Progress of the import that is running.
  useEffect(
    () =>
      subscribe(() =>
        events.importProgress.listen(({ payload }) =>
          setRunning((current) => (current && current.file === payload.file ? { ...current, progress: payload } : current)),
        ),
      ),
    [],
  );

  // Imports finished by the shell: the inbox's are news; the dialog's are ours, already shown.
  useEffect(
    () =>
      subscribe(() =>
        events.libraryChanged.listen(({ payload }) => {
          if (payload.source === "inbox") {
            record(
              payload.error !== null
                ? { file: payload.file, source: "inbox", error: toUiError(payload.error) }
                : payload.outcome !== null
                  ? { file: payload.file, source: "inbox", outcome: payload.outcome }
                  : { file: payload.file, source: "inbox", error: toUiError(null) },
            );
          }
          if (!busy.current) setLibraryVersion((version) => version + 1);
        }),
      ),
    [record],
  );

  // Packs dropped on the window.
  useEffect(
    () =>
      subscribe(() =>
        getCurrentWebview().onDragDropEvent(({ payload }) => {
          if (payload.type === "enter") setDragging(payload.paths.some(isPack) ? "packs" : "other");
          else if (payload.type === "over") setDragging((current) => current ?? "packs");
          else if (payload.type === "leave") setDragging(null);
          else {
            setDragging(null);
            const packs = payload.paths.filter(isPack);
            const others = payload.paths.filter((path) => !isPack(path));
            navigate("/");
            for (const path of others) {
              record({ file: fileName(path), source: "dialog", error: { code: "invalid_input", message: t("import.notAPack") } });
            }
            if (packs.length > 0) void importFiles(packs);
          }
        }),
      ),
    [importFiles, record, t],
  );

  const dismiss = useCallback((id: number) => setResults((previous) => previous.filter((result) => result.id !== id)), []);

  const value = useMemo(
    () => ({ running, results, dragging, libraryVersion, chooseAndImport, importFiles, dismiss }),
    [running, results, dragging, libraryVersion, chooseAndImport, importFiles, dismiss],
  );
  return <ImportsContext value={value}>{children}</ImportsContext>;
}

export function useImports(): ImportsState {
  const value = useContext(ImportsContext);
  if (value === null) throw new Error("useImports needs an <ImportsProvider>");
  return value;
}
