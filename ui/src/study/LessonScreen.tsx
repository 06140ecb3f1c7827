// One lesson: its text (and video or quiz), the way to the previous and next lesson,
// "Mark as complete", a bookmark, the learner's notes on it, and time-on-task tracking.
// Opened from a search hit (`?find=<passage>`), it scrolls to the passage and marks it.
import { useEffect, useMemo, useRef, useState } from "react";
import { useTranslation } from "react-i18next";
import { Link } from "wouter";
import { announce } from "../app/announce.ts";
import { Failure, Loading } from "../app/states.tsx";
import { unwrap, useLoad } from "../app/useLoad.ts";
import { commands, type CourseOutline, type LessonOutline, type LessonView } from "../bindings.ts";
import { toUiError, type UiError } from "../ipc.ts";
import { useActiveTime } from "./activeTime.ts";
import { clearMarks, findInTexts, findPicture, markPassage } from "./find.ts";
import { lessonFinder, type MarkdownSource } from "./markdown.ts";
import { NotesPanel } from "./NotesPanel.tsx";
import { ArrowLeftIcon, ArrowRightIcon, BookmarkIcon, CheckIcon, KindIcon } from "./icons.tsx";
import { Markdown, scrollBehavior } from "./parts.tsx";
import { Quiz } from "./Quiz.tsx";
import { courseRoute, lessonRoute, useQueryParam } from "./route.ts";
import { VideoLesson } from "./VideoLesson.tsx";
import "./study.css";

type Loaded = { lesson: LessonView; outline: CourseOutline; bookmarked: boolean };

async function loadLesson(packId: string, lessonId: string): Promise<Loaded> {
  const [lesson, outline, bookmarks] = await Promise.all([
    unwrap(commands.lesson(packId, lessonId)),
    unwrap(commands.courseOutline(packId)),
    unwrap(commands.bookmarks()),
  ]);
  const bookmarked = bookmarks.some((b) => b.pack_id === packId && b.lesson_id === lessonId);
  return { lesson, outline, bookmarked };
}

export function LessonScreen({ packId, lessonId }: { packId: string; lessonId: string }) {
  const { t } = useTranslation("study");
  const key = `${packId}/${lessonId}`;
  const [state, reload] = useLoad(() => loadLesson(packId, lessonId), key);
  const opened = useRef<string | null>(null);

  // Opening a lesson is recorded once per visit (not again when React re-runs effects).
  useEffect(() => {
    if (opened.current === key) return;
    opened.current = key;
    commands.openLesson(packId, lessonId).catch(() => undefined); // a statistic; the lesson shows either way
  }, [key]);
  useActiveTime(packId, lessonId);

  // While the next lesson loads, the previous one stays on screen: show it only if current.
  const ready = state.status === "ready" && state.data.lesson.id === lessonId && state.data.lesson.pack_id === packId;

  return (
    <div className="screen study lesson">
      {state.status === "failed" ? (
        <>
          <h1 id="lesson-title" className="screen__title" tabIndex={-1}>
            {t("lesson.failed")}
          </h1>
          <Failure title={t("lesson.failedDetail")} error={state.error} onRetry={reload} />
          <p>
            <Link href={courseRoute(packId)}>{t("lesson.backToCourse")}</Link>
          </p>
        </>
      ) : ready ? (
        <Lesson key={key} loaded={state.data} />
      ) : (
        <Loading label={t("lesson.loading")} />
      )}
    </div>
  );
}

function Lesson({ loaded }: { loaded: Loaded }) {
  const { t } = useTranslation("study");
  const { lesson, outline } = loaded;
  const packId = lesson.pack_id;
  const content = useRef<HTMLDivElement>(null);
  const [foundCue, setFoundCue] = useState<number | null>(null);
  const find = useQueryParam("find");
  const findQuestion = useQueryParam("question");

  const lessons = useMemo(() => outline.modules.flatMap((m) => m.lessons), [outline]);
  const module = outline.modules.find((m) => m.id === lesson.module_id);
  const byId = (id: string | null) => (id === null ? undefined : lessons.find((l) => l.id === id));
  const source = useMemo<MarkdownSource>(
    () => ({ packId, path: lesson.path, lessonAt: lessonFinder(lessons.map((l) => l.id)) }),
    [packId, lesson.path, lessons],
  );

  // A search hit's passage: marked and focused in the text (or the picture whose text
  // alternative has it), or else found in the transcript.
  useEffect(() => {
    const root = content.current;
    if (find === null || find.trim() === "" || root === null) return;
    clearMarks(root); // an earlier run of this effect may have marked it already
    const texts = Array.from(root.querySelectorAll(".markdown"));
    const mark = markPassage(texts, find) ?? findPicture(texts, find);
    if (mark !== null) {
      mark.classList.add("find-target");
      mark.setAttribute("tabindex", "-1");
      mark.focus({ preventScroll: true });
      announce(t("lesson.foundPassage"));
      // Pictures above the passage push it down as they load: scroll once they have.
      let cancelled = false;
      void imagesLoaded(root).then(() => {
        if (!cancelled) mark.scrollIntoView({ behavior: scrollBehavior(), block: "center" });
      });
      return () => {
        cancelled = true;
      };
    }
    const cue = lesson.video === null ? null : findInTexts(lesson.video.transcript.map((c) => c.text), find);
    const question =
      findQuestion === null ? null : root.querySelector<HTMLElement>(`[data-question="${CSS.escape(findQuestion)}"]`);
    if (cue !== null) {
      setFoundCue(cue);
      announce(t("lesson.foundInTranscript"));
    } else if (question !== null) {
      question.classList.add("find-target"); // until React next renders the card
      question.focus({ preventScroll: true });
      question.scrollIntoView({ behavior: scrollBehavior(), block: "start" });
      announce(t("lesson.foundInExplanation"));
    } else {
      announce(t("lesson.passageNotFound"));
    }
  }, [find]);

  return (
    <>
      <nav className="study-breadcrumbs" aria-label={t("breadcrumbs")}>
        <ol>
          <li>
            <Link href="/">{t("library")}</Link>
          </li>
          <li>
            <Link href={courseRoute(packId)}>{outline.title}</Link>
          </li>
          {module !== undefined && <li>{module.title}</li>}
        </ol>
      </nav>

      <header className="lesson__header">
        <p className="lesson__eyebrow">
          <KindIcon kind={lesson.kind} />
          <span aria-hidden="true">{t(`kind.${lesson.kind}`)}</span>
          <span aria-hidden="true">·</span>
          <span>{t("minutes", { count: lesson.minutes })}</span>
          <span aria-hidden="true">·</span>
          <span>{t("lesson.position", { number: lessons.findIndex((l) => l.id === lesson.id) + 1, count: lessons.length })}</span>
        </p>
        <h1 id="lesson-title" className="screen__title lesson__title" tabIndex={-1}>
          {lesson.title}
        </h1>
        <div className="lesson__tools">
          <BookmarkToggle packId={packId} lessonId={lesson.id} initial={loaded.bookmarked} />
        </div>
      </header>

      <div className="lesson__layout">
        <div className="lesson__content" ref={content}>
          {lesson.video !== null && (
            <VideoLesson packId={packId} title={lesson.title} video={lesson.video} foundCue={foundCue} />
          )}
          {lesson.markdown.trim() !== "" && (
            <article className="lesson__article" aria-labelledby="lesson-title">
              <Markdown markdown={lesson.markdown} source={source} className="prose" />
            </article>
          )}
          {lesson.quiz !== null && <Quiz packId={packId} quiz={lesson.quiz} source={source} />}

          <footer className="lesson__footer">
            <CompleteButton
              packId={packId}
              lessonId={lesson.id}
              initial={byId(lesson.id)?.completed ?? false}
              next={byId(lesson.next)}
            />
            <nav className="lesson-pager" aria-label={t("lesson.pager")}>
              <PagerLink packId={packId} lesson={byId(lesson.previous)} direction="previous" />
              <PagerLink packId={packId} lesson={byId(lesson.next)} direction="next" />
            </nav>
          </footer>
        </div>
        <NotesPanel packId={packId} lessonId={lesson.id} content={content} />
      </div>
    </>
  );
}

/** Resolves when every picture in `root` has loaded or failed, or after a second and a half. */
function imagesLoaded(root: HTMLElement): Promise<void> {
  const pending = Array.from(root.querySelectorAll("img")).filter((image) => !image.complete);
  const loads = pending.map(
    (image) =>
      new Promise<void>((resolve) => {
        image.addEventListener("load", () => resolve(), { once: true });
        image.addEventListener("error", () => resolve(), { once: true });
      }),
  );
  const timeout = new Promise<void>((resolve) => window.setTimeout(resolve, 1500));
  return Promise.race([Promise.all(loads).then(() => undefined), timeout]);
}

function PagerLink({
  packId,
  lesson,
  direction,
}: {
  packId: string;
  lesson: LessonOutline | undefined;
  direction: "previous" | "next";
}) {
  const { t } = useTranslation("study");
  if (lesson === undefined) return <span className="lesson-pager__gap" />;
  return (
    <Link href={lessonRoute(packId, lesson.id)} className={`lesson-pager__link lesson-pager__link--${direction}`} rel={direction === "next" ? "next" : "prev"}>
      {direction === "previous" && <ArrowLeftIcon />}
      <span className="lesson-pager__text">
        <span className="lesson-pager__label">{t(`lesson.${direction}`)}</span>
        <span className="visually-hidden">: </span>
        <span className="lesson-pager__title">{lesson.title}</span>
      </span>
      {direction === "next" && <ArrowRightIcon />}
    </Link>
  );
}

function CompleteButton({
  packId,
  lessonId,
  initial,
  next,
}: {
  packId: string;
  lessonId: string;
  initial: boolean;
  next: LessonOutline | undefined;
}) {
  const { t } = useTranslation("study");
  const [done, setDone] = useState(initial);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<UiError | null>(null);

  const complete = async () => {
    if (done || busy) return;
    setBusy(true);
    try {
      await unwrap(commands.completeLesson(packId, lessonId));
      setDone(true);
      setError(null);
      announce(next === undefined ? t("lesson.completedLast") : t("lesson.completedNext", { title: next.title }));
    } catch (failure) {
      setError(toUiError(failure));
    } finally {
      setBusy(false);
    }
  };

  return (
    <div className="complete">
      {/* Stays focusable once done (aria-disabled), so keyboard focus is not lost. */}
      <button
        type="button"
        className={done ? "button button--secondary complete__button complete__button--done" : "button complete__button"}
        aria-disabled={done || busy}
        onClick={() => void complete()}
      >
        {done ? (
          <>
            <CheckIcon />
            {t("lesson.completed")}
          </>
        ) : (
          t("lesson.markComplete")
        )}
      </button>
      {error !== null && (
        <p className="complete__error" role="alert">
          {error.message}
        </p>
      )}
    </div>
  );
}

function BookmarkToggle({ packId, lessonId, initial }: { packId: string; lessonId: string; initial: boolean }) {
  const { t } = useTranslation("study");
  const [on, setOn] = useState(initial);
  const [busy, setBusy] = useState(false);

  const toggle = async () => {
    if (busy) return;
    const wanted = !on;
    setBusy(true);
    setOn(wanted);
    try {
      await unwrap(commands.setBookmark(packId, lessonId, wanted));
      announce(wanted ? t("lesson.bookmarkAdded") : t("lesson.bookmarkRemoved"));
    } catch (failure) {
      setOn(!wanted);
      announce(toUiError(failure).message, "assertive");
    } finally {
      setBusy(false);
    }
  };

  return (
    <button
      type="button"
      className={on ? "study-toggle study-toggle--on" : "study-toggle"}
      aria-pressed={on}
      onClick={() => void toggle()}
    >
      <BookmarkIcon />
      {t("lesson.bookmark")}
    </button>
  );
}
