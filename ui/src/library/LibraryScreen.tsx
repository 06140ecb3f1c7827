// The Library: every installed course as a card with its progress and a way back in,
// the ways to import a new pack, and what the last imports did.
import { useEffect } from "react";
import { useTranslation } from "react-i18next";
import { Link } from "wouter";
import { commands, type CourseSummary } from "../bindings.ts";
import { percent, studyTime, trackLabel } from "../format.ts";
import { useLoad, unwrap } from "../app/useLoad.ts";
import { Failure, Loading, ProgressBar } from "../app/states.tsx";
import { ImportIcon } from "../app/icons.tsx";
import { usePreferences } from "../app/preferences.tsx";
import { useImports } from "./imports.tsx";
import { useLastSync } from "../sync/store.ts";
import { ImportStatus } from "./ImportStatus.tsx";
import { courseRoute, lessonRoute } from "../study/route.ts";

export function LibraryScreen() {
  const { t } = useTranslation("library");
  const imports = useImports();
  const lastSync = useLastSync();
  const [courses, reload] = useLoad(
    () => unwrap(commands.listCourses()),
    // Reloaded after an import here and after a sync round (which may install packs).
    `${imports.libraryVersion} ${lastSync ?? ""}`,
  );
  const count = courses.status === "ready" ? courses.data.length : null;
  useReportInteractive(courses.status !== "loading");

  return (
    <div className="screen">
      <header className="screen__header screen__header--with-actions">
        <div>
          <h1 className="screen__title">{t("title")}</h1>
          {count !== null && count > 0 && <p className="screen__lead">{t("count", { count })}</p>}
        </div>
        <button
          type="button"
          className="button"
          onClick={() => void imports.chooseAndImport()}
        >
          <ImportIcon />
          {t("import.button")}
        </button>
      </header>

      <ImportStatus />

      {courses.status === "loading" && <Loading label={t("loading")} />}
      {courses.status === "failed" && <Failure title={t("failed")} error={courses.error} onRetry={reload} />}
      {courses.status === "ready" &&
        (courses.data.length === 0 ? (
          <EmptyLibrary />
        ) : (
          <ul className="course-grid" aria-label={t("listLabel")}>
            {courses.data.map((course) => (
              <li key={course.id}>
                <CourseCard course={course} />
              </li>
            ))}
          </ul>
        ))}
    </div>
  );
}

let reportedInteractive = false;

/** Tells the shell, once per run, that the library can be used (the start-up benchmark reads it). */
function useReportInteractive(interactive: boolean) {
  useEffect(() => {
    if (!interactive || reportedInteractive) return;
    reportedInteractive = true;
    void Promise.resolve()
      .then(() => commands.libraryInteractive())
      .catch(() => undefined);
  }, [interactive]);
}

function CourseCard({ course }: { course: CourseSummary }) {
  const { t } = useTranslation("library");
  const titleId = `course-${course.id}-title`;
  const finished = course.lessons > 0 && course.completed >= course.lessons;
  const started = course.completed > 0;
  const context = <span className="visually-hidden">{t("card.for", { title: course.title })}</span>;

  return (
    <article className="course-card" aria-labelledby={titleId}>
      <div className="course-card__top">
        {course.track !== null && <p className="chip">{trackLabel(course.track)}</p>}
        {finished && <p className="chip chip--success">{t("card.finished")}</p>}
      </div>
      <h2 id={titleId} className="course-card__title">
        {course.title}
      </h2>
      <p className="course-card__summary">{course.summary}</p>
      <ul className="course-card__facts" aria-label={t("card.facts")}>
        <li>{t("card.modules", { count: course.modules })}</li>
        <li>{t("card.lessons", { count: course.lessons })}</li>
        <li>{studyTime(course.minutes)}</li>
      </ul>
      <div className="course-card__progress">
        <div className="course-card__progress-text">
          <span>{t("card.progress", { completed: course.completed, lessons: course.lessons })}</span>
          <span className="course-card__percent">{percent(course.percent)}</span>
        </div>
        <ProgressBar
          value={course.completed}
          max={course.lessons}
          label={t("card.progressLabel", { title: course.title })}
          text={t("card.progressValue", {
            percent: percent(course.percent),
            completed: course.completed,
            lessons: course.lessons,
          })}
        />
      </div>
      <div className="course-card__actions">
        {course.resume_lesson_id !== null && (
          <Link className="button" href={lessonRoute(course.id, course.resume_lesson_id)}>
            {started ? t("card.continue") : t("card.start")}
            {context}
          </Link>
        )}
        <Link
          className={course.resume_lesson_id === null ? "button" : "button button--secondary"}
          href={courseRoute(course.id)}
        >
          {t("card.open")}
          {context}
        </Link>
      </div>
      <p className="course-card__version">{t("card.version", { version: course.version })}</p>
    </article>
  );
}

function EmptyLibrary() {
  const { t } = useTranslation("library");
  const { chooseAndImport } = useImports();
  const { preferences } = usePreferences();
  return (
    <section className="empty" aria-labelledby="empty-title">
      <div className="empty__art" aria-hidden="true">
        <ImportIcon />
      </div>
      <h2 id="empty-title" className="empty__title">
        {t("empty.title")}
      </h2>
      <p className="empty__text">{t("empty.text")}</p>
      <ol className="empty__ways">
        <li>
          <h3>{t("empty.button.title")}</h3>
          <p>{t("empty.button.text")}</p>
          <button type="button" className="button" onClick={() => void chooseAndImport()}>
            <ImportIcon />
            {t("import.button")}
          </button>
        </li>
        <li>
          <h3>{t("empty.drop.title")}</h3>
          <p>{t("empty.drop.text")}</p>
        </li>
        <li>
          <h3>{t("empty.inbox.title")}</h3>
          <p>{t("empty.inbox.text")}</p>
          {preferences.inbox_folder !== "" && <code className="empty__path">{preferences.inbox_folder}</code>}
          <Link href="/settings" className="text-link">
            {t("empty.inbox.change")}
          </Link>
        </li>
      </ol>
    </section>
  );
}
