import { useCallback, useEffect, useState } from "react";
import { commands, type CourseSummaryDto } from "./bindings.ts";
import { studyTime, trackLabel } from "./format.ts";
import { toUiError, type UiError } from "./ipc.ts";

type LibraryState =
  | { status: "loading" }
  | { status: "ready"; courses: CourseSummaryDto[] }
  | { status: "failed"; error: UiError };

/** The library screen: every installed course as a card. */
export function Library() {
  const [state, setState] = useState<LibraryState>({ status: "loading" });

  const load = useCallback(async () => {
    setState({ status: "loading" });
    try {
      const result = await commands.listCourses();
      setState(
        result.status === "ok"
          ? { status: "ready", courses: result.data }
          : { status: "failed", error: toUiError(result.error) },
      );
    } catch (error) {
      setState({ status: "failed", error: toUiError(error) });
    }
  }, []);

  useEffect(() => {
    void load();
  }, [load]);

  return (
    <section className="library" aria-labelledby="library-heading" aria-busy={state.status === "loading"}>
      <h1 id="library-heading" className="library__heading">
        Library
      </h1>
      <LibraryBody state={state} onRetry={load} />
    </section>
  );
}

function LibraryBody({ state, onRetry }: { state: LibraryState; onRetry: () => void }) {
  switch (state.status) {
    case "loading":
      return <p className="library__note">Opening your library…</p>;
    case "failed":
      return (
        <div className="notice notice--error" role="alert">
          <h2 className="notice__title">The library could not be opened</h2>
          <p className="notice__text">{state.error.message}</p>
          <button type="button" className="button" onClick={onRetry}>
            Try again
          </button>
        </div>
      );
    case "ready":
      if (state.courses.length === 0) {
        return (
          <div className="notice" role="status">
            <h2 className="notice__title">No courses yet</h2>
            <p className="notice__text">
              Import a course pack with <code>studyhall-cli pack import &lt;file.shpack&gt;</code>, then
              reopen Studyhall.
            </p>
          </div>
        );
      }
      return (
        <ul className="course-grid" aria-label="Installed courses">
          {state.courses.map((course) => (
            <li key={course.id}>
              <CourseCard course={course} />
            </li>
          ))}
        </ul>
      );
  }
}

function CourseCard({ course }: { course: CourseSummaryDto }) {
  const titleId = `course-${course.id}-title`;
  return (
    <article className="course-card" aria-labelledby={titleId}>
      {course.track !== null && <p className="course-card__track">{trackLabel(course.track)}</p>}
      <h2 id={titleId} className="course-card__title">
        {course.title}
      </h2>
      <p className="course-card__summary">{course.summary}</p>
      <dl className="course-card__facts">
        <div>
          <dt>Modules</dt>
          <dd>{course.modules}</dd>
        </div>
        <div>
          <dt>Lessons</dt>
          <dd>{course.lessons}</dd>
        </div>
        <div>
          <dt>Study time</dt>
          <dd>{studyTime(course.minutes)}</dd>
        </div>
      </dl>
      <p className="course-card__version">Version {course.version}</p>
    </article>
  );
}
