// Notes and bookmarks across all courses: bookmarks lead back to their lessons; notes are
// grouped by course with the passage they quote, and can be edited or deleted.
import { useId, useMemo, useState } from "react";
import { useTranslation } from "react-i18next";
import { Link } from "wouter";
import { commands, type Bookmark, type CourseSummary, type Note } from "../bindings.ts";
import { unwrap, useLoad } from "../app/useLoad.ts";
import { Failure, Loading } from "../app/states.tsx";
import { BookmarkIcon, CloseIcon, NotesIcon } from "../app/icons.tsx";
import { ConfirmDialog } from "../app/ConfirmDialog.tsx";
import { announce } from "../app/announce.ts";
import { dateTime } from "../format.ts";
import { toUiError, type UiError } from "../ipc.ts";
import { renderMarkdown } from "../study/markdown.ts";
import { courseRoute, lessonRoute } from "../study/route.ts";

type CourseNotes = { course: CourseSummary; notes: Note[]; lessonTitles: Map<string, string> };
type Overview = { bookmarks: Bookmark[]; courses: CourseNotes[]; courseTitles: Map<string, string> };

async function loadOverview(): Promise<Overview> {
  const [bookmarks, courses] = await Promise.all([unwrap(commands.bookmarks()), unwrap(commands.listCourses())]);
  const withNotes = await Promise.all(
    courses.map(async (course) => {
      const notes = await unwrap(commands.notes(course.id, null));
      const lessonTitles = new Map<string, string>();
      if (notes.length > 0) {
        // Titles are a nicety: without the outline, notes still show, under lesson ids.
        const outline = await unwrap(commands.courseOutline(course.id)).catch(() => null);
        for (const module of outline?.modules ?? []) {
          for (const lesson of module.lessons) lessonTitles.set(lesson.id, lesson.title);
        }
      }
      return { course, notes, lessonTitles };
    }),
  );
  return {
    bookmarks,
    courses: withNotes.filter((entry) => entry.notes.length > 0),
    courseTitles: new Map(courses.map((course) => [course.id, course.title])),
  };
}

export function NotesScreen() {
  const { t } = useTranslation("notes");
  const [overview, reload] = useLoad(loadOverview, null);
  return (
    <div className="screen">
      <header className="screen__header">
        <h1 className="screen__title">{t("title")}</h1>
        <p className="screen__lead">{t("lead")}</p>
      </header>
      {overview.status === "loading" && <Loading label={t("loading")} />}
      {overview.status === "failed" && <Failure title={t("failed")} error={overview.error} onRetry={reload} />}
      {overview.status === "ready" && (
        <div className="notes-layout">
          <Bookmarks bookmarks={overview.data.bookmarks} courseTitles={overview.data.courseTitles} onChanged={reload} />
          <Notes courses={overview.data.courses} onChanged={reload} />
        </div>
      )}
    </div>
  );
}

type BookmarksProps = { bookmarks: Bookmark[]; courseTitles: Map<string, string>; onChanged(): void };

function Bookmarks({ bookmarks, courseTitles, onChanged }: BookmarksProps) {
  const { t } = useTranslation("notes");
  const [error, setError] = useState<UiError | null>(null);

  const remove = async (bookmark: Bookmark) => {
    try {
      await unwrap(commands.setBookmark(bookmark.pack_id, bookmark.lesson_id, false));
      setError(null);
      announce(t("bookmarks.removed", { title: bookmark.lesson_title }));
      onChanged();
    } catch (thrown) {
      setError(toUiError(thrown));
    }
  };

  return (
    <section className="card" aria-labelledby="bookmarks-title">
      <h2 id="bookmarks-title" className="card__title">
        <BookmarkIcon />
        {t("bookmarks.title")}
      </h2>
      {error !== null && <Failure title={t("bookmarks.removeFailed")} error={error} />}
      {bookmarks.length === 0 ? (
        <p className="card__text">{t("bookmarks.empty")}</p>
      ) : (
        <ul className="bookmark-list">
          {bookmarks.map((bookmark) => (
            <li key={`${bookmark.pack_id}/${bookmark.lesson_id}`} className="bookmark">
              <Link href={lessonRoute(bookmark.pack_id, bookmark.lesson_id)} className="bookmark__link">
                <span className="bookmark__title">{bookmark.lesson_title}</span>
                <span className="bookmark__meta">
                  {courseTitles.get(bookmark.pack_id) ?? bookmark.pack_id} · {dateTime(bookmark.created_at)}
                </span>
              </Link>
              <button
                type="button"
                className="icon-button"
                aria-label={t("bookmarks.remove", { title: bookmark.lesson_title })}
                onClick={() => void remove(bookmark)}
              >
                <CloseIcon />
              </button>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}

function Notes({ courses, onChanged }: { courses: CourseNotes[]; onChanged(): void }) {
  const { t } = useTranslation("notes");
  return (
    <section className="card" aria-labelledby="notes-title">
      <h2 id="notes-title" className="card__title">
        <NotesIcon />
        {t("notes.title")}
      </h2>
      {courses.length === 0 ? (
        <p className="card__text">{t("notes.empty")}</p>
      ) : (
        courses.map(({ course, notes, lessonTitles }) => (
          <section key={course.id} className="note-group" aria-labelledby={`notes-${course.id}`}>
            <h3 id={`notes-${course.id}`} className="note-group__title">
              <Link href={courseRoute(course.id)} className="text-link">
                {course.title}
              </Link>
              <span className="note-group__count">{t("notes.count", { count: notes.length })}</span>
            </h3>
            <ul className="note-list">
              {notes.map((note) => (
                <li key={note.id}>
                  <NoteCard note={note} lessonTitle={lessonTitles.get(note.lesson_id) ?? note.lesson_id} onChanged={onChanged} />
                </li>
              ))}
            </ul>
          </section>
        ))
      )}
    </section>
  );
}

function NoteCard({ note, lessonTitle, onChanged }: { note: Note; lessonTitle: string; onChanged(): void }) {
  const { t } = useTranslation("notes");
  const [editing, setEditing] = useState(false);
  const [draft, setDraft] = useState(note.body);
  const [confirming, setConfirming] = useState(false);
  const [error, setError] = useState<UiError | null>(null);
  const editorId = useId();
  const html = useMemo(() => renderMarkdown(note.body, null), [note.body]);

  const save = async () => {
    try {
      await unwrap(commands.editNote(note.id, draft));
      setError(null);
      setEditing(false);
      announce(t("notes.saved"));
      onChanged();
    } catch (thrown) {
      setError(toUiError(thrown));
    }
  };

  const remove = async () => {
    setConfirming(false);
    try {
      await unwrap(commands.deleteNote(note.id));
      announce(t("notes.deleted"));
      onChanged();
    } catch (thrown) {
      setError(toUiError(thrown));
    }
  };

  return (
    <article className="note" aria-label={t("notes.noteOn", { title: lessonTitle })}>
      <p className="note__lesson">
        <Link href={lessonRoute(note.pack_id, note.lesson_id, note.quote === "" ? undefined : note.quote)} className="text-link">
          {lessonTitle}
        </Link>
      </p>
      {note.quote !== "" && <blockquote className="note__quote">{note.quote}</blockquote>}
      {editing ? (
        <form
          className="note__editor"
          onSubmit={(event) => {
            event.preventDefault();
            void save();
          }}
        >
          <label htmlFor={editorId} className="field__label">
            {t("notes.editLabel")}
          </label>
          <textarea
            id={editorId}
            className="textarea"
            value={draft}
            onChange={(event) => setDraft(event.target.value)}
            rows={5}
            autoFocus
          />
          <p className="field__hint">{t("notes.markdownHint")}</p>
          <div className="note__actions">
            <button type="submit" className="button button--small">
              {t("notes.save")}
            </button>
            <button
              type="button"
              className="button button--secondary button--small"
              onClick={() => {
                setDraft(note.body);
                setEditing(false);
              }}
            >
              {t("notes.cancel")}
            </button>
          </div>
        </form>
      ) : (
        <>
          {note.body !== "" && <div className="note__body" dangerouslySetInnerHTML={{ __html: html }} />}
          <div className="note__footer">
            <p className="note__meta">
              {note.updated_at !== note.created_at
                ? t("notes.edited", { when: dateTime(note.updated_at) })
                : t("notes.created", { when: dateTime(note.created_at) })}
            </p>
            <div className="note__actions">
              <button type="button" className="button button--ghost button--small" onClick={() => setEditing(true)}>
                {t("notes.edit")}
              </button>
              <button
                type="button"
                className="button button--ghost button--small button--danger-text"
                onClick={() => setConfirming(true)}
              >
                {t("notes.delete")}
              </button>
            </div>
          </div>
        </>
      )}
      {error !== null && <Failure title={t("notes.failed")} error={error} />}
      <ConfirmDialog
        open={confirming}
        title={t("notes.confirmTitle")}
        text={t("notes.confirmText", { title: lessonTitle })}
        confirmLabel={t("notes.delete")}
        onConfirm={() => void remove()}
        onCancel={() => setConfirming(false)}
      />
    </article>
  );
}
