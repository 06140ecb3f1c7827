// The learner's notes on one lesson: listed beside it, added with the passage selected in
// the lesson as the quote, edited and deleted in place.
import { useEffect, useRef, useState, type FormEvent, type RefObject } from "react";
import { useTranslation } from "react-i18next";
import { announce } from "../app/announce.ts";
import { Failure } from "../app/states.tsx";
import { unwrap, useLoad } from "../app/useLoad.ts";
import { dateTime } from "../format.ts";
import { toUiError, type UiError } from "../ipc.ts";
import { commands, type Note } from "../bindings.ts";
import { NoteIcon } from "./icons.tsx";
import { Markdown } from "./parts.tsx";

const MAX_QUOTE = 2000;

/** The text selected inside `content`, if any. */
function selectionIn(content: HTMLElement | null): string {
  const selection = window.getSelection();
  if (content === null || selection === null || selection.isCollapsed) return "";
  if (!content.contains(selection.anchorNode) || !content.contains(selection.focusNode)) return "";
  return selection.toString().replace(/\s+/g, " ").trim().slice(0, MAX_QUOTE);
}

export function NotesPanel({
  packId,
  lessonId,
  content,
}: {
  packId: string;
  lessonId: string;
  /** The lesson's text, where a selection becomes the new note's quote. */
  content: RefObject<HTMLElement | null>;
}) {
  const { t } = useTranslation("study");
  const [notes, reload] = useLoad(() => unwrap(commands.notes(packId, lessonId)), `${packId}/${lessonId}`);
  const [draft, setDraft] = useState<{ quote: string; body: string } | null>(null);
  const [error, setError] = useState<UiError | null>(null);
  const [saving, setSaving] = useState(false);
  const heldSelection = useRef("");
  const addButton = useRef<HTMLButtonElement>(null);
  const heading = useRef<HTMLHeadingElement>(null);
  const bodyField = useRef<HTMLTextAreaElement>(null);

  useEffect(() => {
    setDraft(null);
    setError(null);
  }, [packId, lessonId]);

  useEffect(() => {
    if (draft !== null) bodyField.current?.focus();
  }, [draft !== null]);

  const startNote = () => {
    const quote = selectionIn(content.current) || heldSelection.current;
    heldSelection.current = "";
    setError(null);
    setDraft({ quote, body: "" });
  };

  const save = async (event: FormEvent) => {
    event.preventDefault();
    if (draft === null || saving) return;
    if (draft.body.trim() === "" && draft.quote.trim() === "") {
      setError({ code: "invalid_input", message: t("notes.empty") });
      return;
    }
    setSaving(true);
    try {
      await unwrap(commands.addNote(packId, lessonId, draft.quote.trim(), draft.body.trim()));
      setDraft(null);
      setError(null);
      reload();
      announce(t("notes.added"));
      window.requestAnimationFrame(() => addButton.current?.focus());
    } catch (failure) {
      setError(toUiError(failure));
    } finally {
      setSaving(false);
    }
  };

  const list = notes.status === "ready" ? notes.data : [];

  return (
    <aside className="notes-panel" aria-labelledby="notes-heading">
      <h2 id="notes-heading" ref={heading} tabIndex={-1} className="study-panel__title">
        <NoteIcon />
        {t("notes.heading")}
        {list.length > 0 && <span className="notes-panel__count">{list.length}</span>}
      </h2>

      {draft === null ? (
        <>
          <button
            ref={addButton}
            type="button"
            className="button button--secondary notes-panel__add"
            // Pressing the button may clear the selection before the click: keep it.
            onPointerDown={() => {
              heldSelection.current = selectionIn(content.current);
            }}
            onClick={startNote}
          >
            {t("notes.add")}
          </button>
          <p className="notes-panel__hint">{t("notes.hint")}</p>
        </>
      ) : (
        <form className="note-form" onSubmit={(event) => void save(event)}>
          <div className="field">
            <label htmlFor="note-quote" className="field__label">
              {t("notes.quote")}
            </label>
            <textarea
              id="note-quote"
              className="study-input note-form__quote"
              rows={2}
              value={draft.quote}
              onChange={(event) => setDraft({ ...draft, quote: event.target.value })}
            />
          </div>
          <div className="field">
            <label htmlFor="note-body" className="field__label">
              {t("notes.body")}
            </label>
            <textarea
              id="note-body"
              ref={bodyField}
              className="study-input"
              rows={4}
              value={draft.body}
              onChange={(event) => setDraft({ ...draft, body: event.target.value })}
              aria-describedby="note-body-hint"
            />
            <p id="note-body-hint" className="field__hint">
              {t("notes.markdownHint")}
            </p>
          </div>
          <div className="note-form__actions">
            <button type="submit" className="button" aria-disabled={saving}>
              {t("notes.save")}
            </button>
            <button
              type="button"
              className="button button--secondary"
              onClick={() => {
                setDraft(null);
                setError(null);
                window.requestAnimationFrame(() => addButton.current?.focus());
              }}
            >
              {t("notes.cancel")}
            </button>
          </div>
        </form>
      )}

      {error !== null && (
        <p className="notes-panel__error" role="alert">
          {error.message}
        </p>
      )}

      {notes.status === "failed" && <Failure title={t("notes.failed")} error={notes.error} onRetry={reload} />}
      {list.length > 0 && (
        <ul className="note-list">
          {list.map((note) => (
            <li key={note.id}>
              <NoteCard
                note={note}
                onChanged={reload}
                onDeleted={() => {
                  reload();
                  heading.current?.focus();
                }}
              />
            </li>
          ))}
        </ul>
      )}
    </aside>
  );
}

function NoteCard({ note, onChanged, onDeleted }: { note: Note; onChanged: () => void; onDeleted: () => void }) {
  const { t } = useTranslation("study");
  const [mode, setMode] = useState<"view" | "edit" | "confirm">("view");
  const [body, setBody] = useState(note.body);
  const [error, setError] = useState<UiError | null>(null);
  const [busy, setBusy] = useState(false);
  const editButton = useRef<HTMLButtonElement>(null);
  const field = useRef<HTMLTextAreaElement>(null);
  const confirmButton = useRef<HTMLButtonElement>(null);

  useEffect(() => {
    if (mode === "edit" && field.current !== null) {
      const end = field.current.value.length;
      field.current.focus();
      field.current.setSelectionRange(end, end);
    }
    if (mode === "confirm") confirmButton.current?.focus();
  }, [mode]);

  const backToView = () => {
    setMode("view");
    setError(null);
    window.requestAnimationFrame(() => editButton.current?.focus());
  };

  const run = async (action: () => Promise<unknown>, done: () => void) => {
    if (busy) return;
    setBusy(true);
    try {
      await action();
      setError(null);
      done();
    } catch (failure) {
      setError(toUiError(failure));
    } finally {
      setBusy(false);
    }
  };

  const saveEdit = (event: FormEvent) => {
    event.preventDefault();
    void run(
      () => unwrap(commands.editNote(note.id, body.trim())),
      () => {
        announce(t("notes.saved"));
        onChanged();
        backToView();
      },
    );
  };

  const remove = () =>
    void run(
      () => unwrap(commands.deleteNote(note.id)),
      () => {
        announce(t("notes.deleted"));
        onDeleted();
      },
    );

  const edited = note.updated_at !== note.created_at;

  return (
    <article className="note" aria-label={t("notes.noteFrom", { when: dateTime(note.created_at) })}>
      {note.quote !== "" && <blockquote className="note__quote">{note.quote}</blockquote>}
      {mode === "edit" ? (
        <form onSubmit={saveEdit} className="note-form">
          <label htmlFor={`note-edit-${note.id}`} className="field__label">
            {t("notes.body")}
          </label>
          <textarea
            id={`note-edit-${note.id}`}
            ref={field}
            className="study-input"
            rows={4}
            value={body}
            onChange={(event) => setBody(event.target.value)}
          />
          <div className="note-form__actions">
            <button type="submit" className="button" aria-disabled={busy}>
              {t("notes.save")}
            </button>
            <button
              type="button"
              className="button button--secondary"
              onClick={() => {
                setBody(note.body);
                backToView();
              }}
            >
              {t("notes.cancel")}
            </button>
          </div>
        </form>
      ) : (
        note.body !== "" && <Markdown markdown={note.body} source={null} className="note__body" />
      )}
      <p className="note__meta">
        {edited ? t("notes.edited", { when: dateTime(note.updated_at) }) : dateTime(note.created_at)}
      </p>
      {mode === "view" && (
        <div className="note__actions">
          <button ref={editButton} type="button" className="study-link-button" onClick={() => setMode("edit")}>
            {t("notes.edit")}
          </button>
          <button type="button" className="study-link-button study-link-button--danger" onClick={() => setMode("confirm")}>
            {t("notes.delete")}
          </button>
        </div>
      )}
      {mode === "confirm" && (
        <div className="note__confirm" role="group" aria-label={t("notes.confirmLabel")}>
          <p>{t("notes.confirm")}</p>
          <button ref={confirmButton} type="button" className="button button--danger" onClick={remove}>
            {t("notes.deleteConfirmed")}
          </button>
          <button type="button" className="button button--secondary" onClick={backToView}>
            {t("notes.cancel")}
          </button>
        </div>
      )}
      {error !== null && (
        <p className="notes-panel__error" role="alert">
          {error.message}
        </p>
      )}
    </article>
  );
}
