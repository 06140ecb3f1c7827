// What the exam page itself blocks while an exam runs, on top of the shell's locked
// window: browser shortcuts (reload, print, find, zoom, developer tools, history, close),
// the context menu, copying question text out and pasting text in from outside. Copy and
// paste between the exam's own answer fields still work: a paste is let through only if
// its text was copied from one of them in this session. Each blocked attempt, and each
// time the page is hidden or shown again, goes to the proctor log. None of this can stop
// what the operating system handles before the page sees it; the shell logs what it can.
import { useEffect, useRef } from "react";
import { commands, type ObservedEvent } from "../bindings.ts";

export type Blocked = "shortcut" | "clipboard" | "contextMenu";

/** Keys the page blocks, named for the log ("Ctrl+Shift+I"), or null to let through. */
export function blockedShortcut(event: KeyboardEvent): string | null {
  const ctrl = event.ctrlKey || event.metaKey;
  const key = event.key.length === 1 ? event.key.toLowerCase() : event.key;
  const name = () =>
    [ctrl && "Ctrl", event.altKey && "Alt", event.shiftKey && "Shift", key.length === 1 ? key.toUpperCase() : key]
      .filter(Boolean)
      .join("+");
  // F1–F12: reload, find next, full screen, caret browsing, developer tools…
  if (/^F([1-9]|1[0-2])$/.test(key)) return name();
  if (/^Browser(Back|Forward|Refresh|Home|Search)$/.test(key)) return name();
  if (event.altKey && !ctrl && (key === "ArrowLeft" || key === "ArrowRight" || key === "Home")) return name();
  // AltGr is Ctrl+Alt on Windows: AltGr+Q types "@" on a German keyboard.
  if (!ctrl || event.getModifierState("AltGraph")) return null;
  // Developer tools, view source, and Ctrl+Shift variants of reload.
  if (event.shiftKey && ["i", "j", "c", "k", "r", "delete"].includes(key)) return name();
  // Reload, print, find, close, quit, save, open, new window, history, downloads, zoom.
  if (["r", "p", "f", "g", "w", "q", "s", "o", "n", "t", "u", "l", "h", "j", "d", "e"].includes(key)) return name();
  if (["+", "=", "-", "_", "0"].includes(key)) return name();
  return null;
}

/** The exam's own text fields, where typing, copying and pasting are allowed. */
function answerField(target: EventTarget | null): HTMLInputElement | HTMLTextAreaElement | null {
  if (target instanceof HTMLTextAreaElement) return target;
  if (target instanceof HTMLInputElement && target.type === "text") return target;
  return null;
}

export function useExamGuard(sessionId: string, onBlocked: (what: Blocked) => void): void {
  // Texts copied from answer fields in this session: the only ones that may be pasted.
  const copied = useRef(new Set<string>());
  const notify = useRef(onBlocked);
  useEffect(() => {
    notify.current = onBlocked;
  });

  useEffect(() => {
    const report = (event: ObservedEvent) => {
      void Promise.resolve()
        .then(() => commands.logExamEvent(sessionId, event))
        .catch(() => undefined);
    };

    const onKeyDown = (event: KeyboardEvent) => {
      const keys = blockedShortcut(event);
      if (keys === null) return;
      event.preventDefault();
      event.stopPropagation();
      if (event.repeat) return; // one report per press, not per repeat
      report({ kind: "shortcut_blocked", keys });
      notify.current("shortcut");
    };

    const onContextMenu = (event: MouseEvent) => {
      event.preventDefault();
      report({ kind: "context_menu_blocked" });
      notify.current("contextMenu");
    };

    const onCopy = (event: ClipboardEvent) => {
      const field = answerField(event.target);
      if (field !== null) {
        const selected = field.value.slice(field.selectionStart ?? 0, field.selectionEnd ?? 0);
        if (selected !== "") copied.current.add(selected);
        return;
      }
      event.preventDefault();
      report({ kind: "clipboard_blocked", action: event.type });
      notify.current("clipboard");
    };

    const onPaste = (event: ClipboardEvent) => {
      const text = event.clipboardData?.getData("text/plain") ?? "";
      if (answerField(event.target) !== null && copied.current.has(text)) return;
      event.preventDefault();
      report({ kind: "clipboard_blocked", action: "paste" });
      notify.current("clipboard");
    };

    // Dragging text is copying by other means: only within and between answer fields.
    const onDragStart = (event: DragEvent) => {
      if (answerField(event.target) !== null) return;
      event.preventDefault();
      report({ kind: "clipboard_blocked", action: "drag" });
      notify.current("clipboard");
    };
    const onDrop = (event: DragEvent) => {
      const text = event.dataTransfer?.getData("text/plain") ?? "";
      if (answerField(event.target) !== null && copied.current.has(text)) return;
      event.preventDefault();
      report({ kind: "clipboard_blocked", action: "drop" });
      notify.current("clipboard");
    };

    const onVisibility = () => report({ kind: "visibility_changed", hidden: document.hidden });

    const options = { capture: true } as const;
    window.addEventListener("keydown", onKeyDown, options);
    window.addEventListener("contextmenu", onContextMenu, options);
    document.addEventListener("copy", onCopy, options);
    document.addEventListener("cut", onCopy, options);
    document.addEventListener("paste", onPaste, options);
    document.addEventListener("dragstart", onDragStart, options);
    document.addEventListener("drop", onDrop, options);
    document.addEventListener("visibilitychange", onVisibility);
    return () => {
      window.removeEventListener("keydown", onKeyDown, options);
      window.removeEventListener("contextmenu", onContextMenu, options);
      document.removeEventListener("copy", onCopy, options);
      document.removeEventListener("cut", onCopy, options);
      document.removeEventListener("paste", onPaste, options);
      document.removeEventListener("dragstart", onDragStart, options);
      document.removeEventListener("drop", onDrop, options);
      document.removeEventListener("visibilitychange", onVisibility);
    };
  }, [sessionId]);
}
