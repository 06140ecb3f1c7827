// A course's outline: what it is about, how far the learner has come, its modules and
// lessons, and a way back in at the first lesson not yet completed.
import { useTranslation } from "react-i18next";
import { Link } from "wouter";
import { Failure, Loading, ProgressBar } from "../app/states.tsx";
import { unwrap, useLoad } from "../app/useLoad.ts";
import { percent, studyTime, trackLabel } from "../format.ts";
import { commands, type CourseOutline, type LessonOutline } from "../bindings.ts";
import { ArrowRightIcon, CheckIcon, KindIcon } from "./icons.tsx";
import { lessonRoute } from "./route.ts";
import "./study.css";

export function CourseScreen({ packId }: { packId: string }) {
  const { t } = useTranslation("study");
  const [outline, reload] = useLoad(() => unwrap(commands.courseOutline(packId)), packId);

  return (
    <div className="screen study course">
      <nav className="study-breadcrumbs" aria-label={t("breadcrumbs")}>
        <ol>
          <li>
            <Link href="/">{t("library")}</Link>
          </li>
        </ol>
      </nav>
      {outline.status === "loading" && <Loading label={t("course.loading")} />}
      {outline.status === "failed" && (
        <>
          <h1 id="course-title" className="screen__title" tabIndex={-1}>
            {t("course.failed")}
          </h1>
          <Failure title={t("course.failedDetail")} error={outline.error} onRetry={reload} />
        </>
      )}
      {outline.status === "ready" && <Course outline={outline.data} />}
    </div>
  );
}

function Course({ outline }: { outline: CourseOutline }) {
  const { t } = useTranslation("study");
  const lessons = outline.modules.flatMap((m) => m.lessons);
  const completed = lessons.filter((l) => l.completed).length;
  const share = lessons.length > 0 ? (completed / lessons.length) * 100 : 0;
  const minutes = lessons.reduce((sum, l) => sum + l.minutes, 0);
  const resume = lessons.find((l) => !l.completed) ?? null;

  return (
    <>
      <header className="course__header">
        {outline.track !== null && <p className="chip">{trackLabel(outline.track)}</p>}
        <h1 id="course-title" className="screen__title" tabIndex={-1}>
          {outline.title}
        </h1>
        <p className="course__summary">{outline.summary}</p>
        <div className="course__status">
          <div className="course__progress">
            <p className="course__progress-text">
              <span>{t("course.progress", { completed, lessons: lessons.length })}</span>
              <span className="course__percent">{percent(share)}</span>
            </p>
            <ProgressBar
              value={completed}
              max={lessons.length}
              label={t("course.progressLabel")}
              text={t("course.progressValue", { percent: percent(share), completed, lessons: lessons.length })}
            />
            <p className="course__facts">
              {[
                t("course.moduleCount", { count: outline.modules.length }),
                t("course.lessonCount", { count: lessons.length }),
                t("course.about", { time: studyTime(minutes) }),
              ].join(" · ")}
            </p>
          </div>
          <ContinueLink outline={outline} resume={resume} started={completed > 0} />
        </div>
      </header>

      <section className="course__modules" aria-labelledby="course-modules-heading">
        <h2 id="course-modules-heading" className="visually-hidden">
          {t("course.modules")}
        </h2>
        <ol className="module-list">
          {outline.modules.map((module, index) => {
            const done = module.lessons.filter((l) => l.completed).length;
            const headingId = `module-${module.id}`;
            return (
              <li key={module.id}>
                <section className="module" aria-labelledby={headingId}>
                  <header className="module__header">
                    <p className="module__number">{t("course.moduleNumber", { number: index + 1 })}</p>
                    <h3 id={headingId} className="module__title">
                      {module.title}
                    </h3>
                    {module.summary !== "" && <p className="module__summary">{module.summary}</p>}
                    <p className="module__count">
                      {t("course.moduleProgress", { completed: done, lessons: module.lessons.length })}
                    </p>
                  </header>
                  <ol className="lesson-list">
                    {module.lessons.map((lesson) => (
                      <li key={lesson.id}>
                        <LessonRow packId={outline.id} lesson={lesson} current={lesson.id === resume?.id} />
                      </li>
                    ))}
                  </ol>
                </section>
              </li>
            );
          })}
        </ol>
      </section>
    </>
  );
}

function ContinueLink({
  outline,
  resume,
  started,
}: {
  outline: CourseOutline;
  resume: LessonOutline | null;
  started: boolean;
}) {
  const { t } = useTranslation("study");
  const first = outline.modules[0]?.lessons[0];
  if (resume === null && first === undefined) return null;
  const target = resume ?? first;
  if (target === undefined) return null;
  const label = resume === null ? t("course.review") : started ? t("course.continue") : t("course.start");
  return (
    <Link className="button course__continue" href={lessonRoute(outline.id, target.id)}>
      <span>
        {label}
        <span className="visually-hidden">: </span>
        <span className="course__continue-lesson">{target.title}</span>
      </span>
      <ArrowRightIcon />
    </Link>
  );
}

function LessonRow({ packId, lesson, current }: { packId: string; lesson: LessonOutline; current: boolean }) {
  const { t } = useTranslation("study");
  return (
    <Link
      href={lessonRoute(packId, lesson.id)}
      className={`lesson-row${lesson.completed ? " lesson-row--done" : ""}${current ? " lesson-row--next" : ""}`}
    >
      <KindIcon kind={lesson.kind} />
      <span className="lesson-row__title">{lesson.title}</span>
      <span className="lesson-row__meta">{t("minutes", { count: lesson.minutes })}</span>
      <span className="lesson-row__status">
        {lesson.completed ? (
          <>
            <CheckIcon />
            <span className="visually-hidden">{t("course.completed")}</span>
          </>
        ) : current ? (
          <span className="lesson-row__next">{t("course.upNext")}</span>
        ) : null}
      </span>
    </Link>
  );
}
