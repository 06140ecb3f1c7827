// Saving answers while the exam runs. One save is on its way at a time, so answers reach
// the disk in the order they were given; a newer answer to the same item replaces one
// still waiting. Typed answers wait for a pause in typing; leaving the field, moving to
// another item or handing in sends them at once. "Saved" is shown only once the shell
// has said the answer is on disk.
import { useCallback, useEffect, useRef, useState } from "react";
import { commands, type ExamAnswerSaved, type Response } from "../bindings.ts";
import { toUiError, type UiError } from "../ipc.ts";

/** How long typing must pause before a typed answer is saved. */
export const TYPING_PAUSE_MS = 600;

export type SaveStatus =
  | { state: "idle" }
  | { state: "saving" }
  | { state: "saved"; at: string }
  | { state: "failed"; error: UiError; count: number };

type Waiting = { response: Response; timer: number | null };

export type AnswerSaver = {
  status: SaveStatus;
  /** Saves `response` for the item, after `delayMs` unless something flushes it sooner. */
  save(questionId: string, response: Response, delayMs?: number): void;
  /** Sends a waiting answer (or all of them) now; resolves once nothing is waiting. */
  flush(questionId?: string): Promise<void>;
  /** Tries the answers that failed again. */
  retry(): void;
};

export function useAnswerSaver(sessionId: string, onSaved: (saved: ExamAnswerSaved) => void): AnswerSaver {
  const [status, setStatus] = useState<SaveStatus>({ state: "idle" });
  const waiting = useRef(new Map<string, Waiting>());
  const failed = useRef(new Map<string, { response: Response; error: UiError }>());
  const sending = useRef(false);
  const lastSavedAt = useRef<string | null>(null);
  const drained = useRef<(() => void)[]>([]);
  const savedCallback = useRef(onSaved);
  useEffect(() => {
    savedCallback.current = onSaved;
  });

  const settle = useCallback(() => {
    const failure = Array.from(failed.current.values()).at(-1);
    if (failure !== undefined) {
      setStatus({ state: "failed", error: failure.error, count: failed.current.size });
    } else if (waiting.current.size > 0 || sending.current) {
      setStatus({ state: "saving" });
    } else {
      setStatus(lastSavedAt.current === null ? { state: "idle" } : { state: "saved", at: lastSavedAt.current });
    }
  }, []);

  const pump = useCallback(async () => {
    if (sending.current) return;
    const next = Array.from(waiting.current.entries()).find(([, entry]) => entry.timer === null);
    if (next === undefined) {
      if (waiting.current.size === 0) {
        for (const resolve of drained.current.splice(0)) resolve();
      }
      settle();
      return;
    }
    const [questionId, { response }] = next;
    waiting.current.delete(questionId);
    sending.current = true;
    settle();
    try {
      const result = await commands.saveExamAnswer(sessionId, questionId, response);
      if (result.status === "error") throw result.error;
      failed.current.delete(questionId);
      lastSavedAt.current = result.data.saved.saved_at;
      savedCallback.current(result.data);
    } catch (error) {
      // A newer answer to this item, already waiting, supersedes the one that failed.
      if (!waiting.current.has(questionId)) failed.current.set(questionId, { response, error: toUiError(error) });
    } finally {
      sending.current = false;
    }
    void pump();
  }, [sessionId, settle]);

  const save = useCallback(
    (questionId: string, response: Response, delayMs = 0) => {
      const previous = waiting.current.get(questionId);
      if (previous?.timer != null) window.clearTimeout(previous.timer);
      const timer =
        delayMs > 0
          ? window.setTimeout(() => {
              const entry = waiting.current.get(questionId);
              if (entry !== undefined) entry.timer = null;
              void pump();
            }, delayMs)
          : null;
      waiting.current.set(questionId, { response, timer });
      failed.current.delete(questionId);
      settle();
      void pump();
    },
    [pump, settle],
  );

  const flush = useCallback(
    (questionId?: string) => {
      for (const [id, entry] of waiting.current) {
        if ((questionId === undefined || id === questionId) && entry.timer !== null) {
          window.clearTimeout(entry.timer);
          entry.timer = null;
        }
      }
      const done =
        questionId !== undefined || (waiting.current.size === 0 && !sending.current)
          ? Promise.resolve()
          : new Promise<void>((resolve) => drained.current.push(resolve));
      void pump();
      return done;
    },
    [pump],
  );

  const retry = useCallback(() => {
    for (const [questionId, { response }] of failed.current) {
      if (!waiting.current.has(questionId)) waiting.current.set(questionId, { response, timer: null });
    }
    failed.current.clear();
    settle();
    void pump();
  }, [pump, settle]);

  // Leaving the exam screen sends what is still waiting.
  useEffect(
    () => () => {
      for (const entry of waiting.current.values()) {
        if (entry.timer !== null) window.clearTimeout(entry.timer);
        entry.timer = null;
      }
      void pump();
    },
    [pump],
  );

  return { status, save, flush, retry };
}
