// The exam while it runs: a bar with the title, the clock and whether the last answer is
// saved; the question navigator; one item at a time, or the review of all of them; and
// a full-screen panel during a break. Answers save as they are given. The page fills the
// locked window: the app's own navigation is out of reach until the exam is handed in.
import { useCallback, useEffect, useMemo, useRef, useState, type RefObject } from "react";
import { useTranslation } from "react-i18next";
import type { TFunction } from "i18next";
import { commands, events, type ExamAnswerSaved, type ExamPaper, type ItemFeedback, type Response, type SessionView } from "../bindings.ts";
import { toUiError } from "../ipc.ts";
import { announce } from "../app/announce.ts";
import { ConfirmDialog } from "../app/ConfirmDialog.tsx";
import { navigate } from "../app/hashLocation.ts";
import { unwrap } from "../app/useLoad.ts";
import { ArrowLeftIcon, ArrowRightIcon } from "../study/icons.tsx";
import { Markdown } from "../study/parts.tsx";
import i18next from "../i18n.ts";
import { ItemInput } from "./ItemInput.tsx";
import { ProctorMenu } from "./ProctorMenu.tsx";
import { itemStatus, Review } from "./Review.tsx";
import { ClockIcon, FlagIcon, PauseIcon, ReviewIcon, WarningIcon } from "./icons.tsx";
import { latestAnswers, paperItems, rememberPaper, rememberResult, type PaperItem } from "./paper.ts";
import { draftOf, isAnswered, responseOf, type Draft } from "./responses.ts";
import { examResultRoute, examRoute } from "./route.ts";
import { sentence } from "./text.ts";
import { TYPING_PAUSE_MS, useAnswerSaver, type SaveStatus } from "./useAnswerSaver.ts";
import { countdown, useExamClock } from "./useExamClock.ts";
import { useExamGuard, type Blocked } from "./useExamGuard.ts";

/** How long a "that is blocked" notice stays. */
const NOTICE_MS = 5000;

export function Sitting({ paper }: { paper: ExamPaper }) {
  const { t } = useTranslation("exam");
  const sessionId = paper.session.session_id;
  const items = useMemo(() => paperItems(paper), [paper]);
  const [session, setSession] = useState<SessionView>(paper.session);
  const [answers, setAnswers] = useState(() => latestAnswers(paper.session.answers));
  const [drafts, setDrafts] = useState<Record<string, Draft>>({});
  const [feedback, setFeedback] = useState<Record<string, ItemFeedback>>({});
  const [flagged, setFlagged] = useState(() => new Set(paper.session.flagged));
  const [at, setAt] = useState(() => clampPosition(items, paper.session.position));
  const [reviewing, setReviewing] = useState(false);
  const [confirming, setConfirming] = useState(false);
  const [submitting, setSubmitting] = useState(false);
  const [problem, setProblem] = useState<string | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const heading = useRef<HTMLHeadingElement>(null);
  const paused = session.state === "paused";
  const finished = useRef(false);

  useEffect(() => rememberPaper(paper), [paper]);

  const onSaved = useCallback(
    (saved: ExamAnswerSaved) => {
      setAnswers((previous) => new Map(previous).set(saved.saved.question_id, saved.saved.response));
      const marked = saved.feedback;
      if (marked === null) return;
      setFeedback((previous) => ({ ...previous, [saved.saved.question_id]: marked }));
      announce(feedbackText(t, marked));
    },
    [t],
  );
  const saver = useAnswerSaver(sessionId, onSaved);

  const showNotice = useCallback((text: string) => {
    setNotice(text);
    announce(text);
  }, []);
  useEffect(() => {
    if (notice === null) return;
    const timeout = window.setTimeout(() => setNotice(null), NOTICE_MS);
    return () => window.clearTimeout(timeout);
  }, [notice]);

  const finish = useCallback(
    (how: "timeUp" | "submitted") => {
      if (finished.current) return;
      finished.current = true;
      announce(how === "timeUp" ? t("sitting.timeUp") : t("sitting.submitted"), "assertive");
      navigate(examResultRoute(sessionId), { replace: true });
    },
    [sessionId, t],
  );

  const clock = useExamClock(sessionId, session.timer, paused, {
    onWarning: (minutes) => announce(t("timer.warning", { count: minutes }), "assertive"),
    onLastCall: () => void saver.flush(),
    onTimeUp: () => finish("timeUp"),
    onBreakOver: () => void breakOver(),
  });

  // The break time ran out: the shell has resumed the exam; its clock runs again.
  const breakOver = async () => {
    try {
      const reopened = await unwrap(commands.examPaper(sessionId));
      setSession(reopened.session);
      announce(t("break.over"), "assertive");
      window.requestAnimationFrame(() => heading.current?.focus());
    } catch (error) {
      setProblem(sentence(toUiError(error).message));
    }
  };

  useExamGuard(sessionId, (what: Blocked) => showNotice(t(`guard.${what}`)));
  useLockedChrome(sessionId, finished);

  // The shell refused to close the locked window.
  useEffect(() => {
    let stop: (() => void) | null = null;
    let stopped = false;
    void Promise.resolve()
      .then(() => events.closeRefused.listen(() => showNotice(t("sitting.closeRefused"))))
      .then((unlisten) => (stopped ? unlisten() : (stop = unlisten)))
      .catch(() => undefined);
    return () => {
      stopped = true;
      stop?.();
    };
  }, [showNotice, t]);

  const current = items.find((item) => item.section === at[0] && item.index === at[1]) ?? items[0];

  // When the exam opens and after every move (to an item or the review), focus goes to
  // the heading of what is shown.
  useEffect(() => {
    heading.current?.focus();
  }, [at, reviewing]);

  const goTo = (item: PaperItem) => {
    if (current !== undefined) void saver.flush(current.question.id);
    setReviewing(false);
    setAt([item.section, item.index]);
    void Promise.resolve()
      .then(() => commands.setExamPosition(sessionId, item.section, item.index))
      .catch(() => undefined);
  };

  const openReview = () => {
    void saver.flush();
    setReviewing(true);
  };

  const change = (item: PaperItem, draft: Draft, typed: boolean) => {
    const id = item.question.id;
    setDrafts((previous) => ({ ...previous, [id]: draft }));
    const response = responseOf(item.question, draft, answers.get(id));
    if (response === null || "problem" in response) return;
    saver.save(id, response, typed ? TYPING_PAUSE_MS : 0);
  };

  const toggleFlag = async (item: PaperItem) => {
    const id = item.question.id;
    const flag = !flagged.has(id);
    const apply = (on: boolean) =>
      setFlagged((previous) => {
        const next = new Set(previous);
        if (on) next.add(id);
        else next.delete(id);
        return next;
      });
    apply(flag);
    try {
      await unwrap(commands.flagExamItem(sessionId, id, flag));
      announce(flag ? t("item.flagged", { number: item.number }) : t("item.unflagged", { number: item.number }));
    } catch (error) {
      apply(!flag);
      showNotice(t("item.flagFailed", { message: toUiError(error).message }));
    }
  };

  const setBreak = async (on: boolean) => {
    setProblem(null);
    try {
      if (on) await saver.flush();
      const view = await unwrap(on ? commands.pauseExam(sessionId) : commands.resumeExam(sessionId));
      setSession(view);
      if (view.state === "submitted") {
        finish("timeUp");
        return;
      }
      announce(on ? t("break.started") : t("break.ended"));
      // Back from the break, the candidate is where they left off.
      if (!on) window.requestAnimationFrame(() => heading.current?.focus());
    } catch (error) {
      setProblem(sentence(toUiError(error).message));
    }
  };

  const submit = async () => {
    setConfirming(false);
    setSubmitting(true);
    setProblem(null);
    try {
      await saver.flush();
      rememberResult(await unwrap(commands.submitExam(sessionId)));
      finish("submitted");
    } catch (error) {
      setProblem(sentence(toUiError(error).message));
      setSubmitting(false);
    }
  };

  const answered = (item: PaperItem) => isAnswered(item.question, answers.get(item.question.id));
  const unanswered = items.filter((item) => !answered(item)).length;
  const flaggedCount = items.filter((item) => flagged.has(item.question.id)).length;
  const timeLeft = clock.timer.remaining_ms;
  const breakLeft = clock.timer.break_left_ms;

  return (
    <div className="exam-stage">
      <header className="exam-bar" inert={paused}>
        <div className="exam-bar__title">
          <h1 className="exam-bar__heading">{paper.title}</h1>
          <p className="exam-bar__progress">{t("sitting.progress", { answered: items.length - unanswered, count: items.length })}</p>
        </div>
        <div
          className={`exam-timer${timeLeft !== null && timeLeft <= 5 * 60_000 ? " exam-timer--low" : ""}${timeLeft !== null && timeLeft <= 60_000 ? " exam-timer--last" : ""}`}
        >
          <ClockIcon />
          <span className="exam-timer__label">{timeLeft === null ? t("timer.used") : t("timer.left")}</span>
          <span role="timer" className="exam-timer__value" aria-label={timerLabel(timeLeft, clock.timer.used_ms)}>
            {countdown(timeLeft ?? clock.timer.used_ms)}
          </span>
        </div>
        <SaveState status={saver.status} onRetry={saver.retry} />
        <div className="exam-bar__actions">
          <button type="button" className="button button--secondary button--small" onClick={openReview} aria-pressed={reviewing}>
            <ReviewIcon />
            {t("sitting.review")}
          </button>
          {breakLeft !== null && (
            <button
              type="button"
              className="button button--ghost button--small"
              onClick={() => void setBreak(true)}
              disabled={breakLeft === 0}
              aria-describedby="break-left"
            >
              <PauseIcon />
              {t("break.take")}
              <span id="break-left" className="exam-bar__break-left">
                {breakLeft === 0 ? t("break.noneLeft") : t("break.left", { time: countdown(breakLeft) })}
              </span>
            </button>
          )}
          <ProctorMenu sessionId={sessionId} onSession={setSession} />
        </div>
      </header>

      {/* Out of reach during a break, like the rest of the exam. */}
      <div inert={paused}>
        {clock.warning !== null && (
          <div className="exam-banner">
            <ClockIcon />
            <p>{t("timer.warning", { count: clock.warning })}</p>
            <button type="button" className="button button--ghost button--small" onClick={clock.dismissWarning}>
              {t("timer.dismiss")}
            </button>
          </div>
        )}
        {clock.error !== null && (
          <div className="exam-banner exam-banner--error">
            <WarningIcon />
            <p>{t("timer.failed", { message: sentence(clock.error.message) })}</p>
          </div>
        )}
        {saver.status.state === "failed" && (
          <div className="exam-banner exam-banner--error">
            <WarningIcon />
            <p>{t("save.reason", { message: sentence(saver.status.error.message) })}</p>
          </div>
        )}
        {problem !== null && (
          <div className="exam-banner exam-banner--error" role="alert">
            <WarningIcon />
            <p>{problem}</p>
          </div>
        )}
        {notice !== null && (
          <p className="exam-notice">
            <WarningIcon />
            {notice}
          </p>
        )}
      </div>

      <div className="exam-body" inert={paused}>
        <Navigator items={items} current={reviewing ? null : current} answered={answered} flagged={flagged} onGo={goTo} />
        <div className="exam-content">
          {reviewing ? (
            <Review
              headingRef={heading}
              items={items}
              answered={answered}
              flagged={flagged}
              unanswered={unanswered}
              flaggedCount={flaggedCount}
              submitting={submitting}
              onGo={goTo}
              onSubmit={() => setConfirming(true)}
            />
          ) : (
            current !== undefined && (
              <Item
                key={current.question.id}
                headingRef={heading}
                item={current}
                count={items.length}
                draft={drafts[current.question.id] ?? draftOf(current.question, answers.get(current.question.id))}
                saved={answers.get(current.question.id)}
                feedback={feedback[current.question.id] ?? null}
                flagged={flagged.has(current.question.id)}
                onChange={(draft, typed) => change(current, draft, typed)}
                onLeaveField={() => void saver.flush(current.question.id)}
                onFlag={() => void toggleFlag(current)}
                previous={items[current.number - 2]}
                next={items[current.number]}
                onGo={goTo}
                onReview={openReview}
              />
            )
          )}
        </div>
      </div>

      {paused && <BreakPanel onResume={() => void setBreak(false)} problem={problem} timeLeft={timeLeft} breakLeft={breakLeft} />}

      <ConfirmDialog
        open={confirming}
        title={t("submit.title")}
        text={[
          unanswered > 0 ? t("submit.unanswered", { count: unanswered }) : t("submit.allAnswered"),
          flaggedCount > 0 ? t("submit.flagged", { count: flaggedCount }) : "",
          saver.status.state === "failed" ? t("submit.unsaved", { count: saver.status.count }) : "",
          t("submit.final"),
        ]
          .filter((part) => part !== "")
          .join(" ")}
        confirmLabel={t("submit.confirm")}
        onConfirm={() => void submit()}
        onCancel={() => setConfirming(false)}
      />
    </div>
  );

  function timerLabel(remaining: number | null, used: number): string {
    return remaining === null ? t("timer.usedLabel", { time: countdown(used) }) : t("timer.leftLabel", { time: countdown(remaining) });
  }
}

function clampPosition(items: PaperItem[], [section, index]: [number, number]): [number, number] {
  const found = items.find((item) => item.section === section && item.index === index) ?? items[0];
  return found === undefined ? [0, 0] : [found.section, found.index];
}

/**
 * While the exam runs the app's header (navigation, search) is out of reach, and the
 * address cannot move off the exam: a link or a dropped file that changes it is undone.
 * Once the exam is handed in (`released`), the way to the result is open.
 */
function useLockedChrome(sessionId: string, released: RefObject<boolean>) {
  useEffect(() => {
    const header = document.querySelector<HTMLElement>(".app-header");
    header?.setAttribute("inert", "");
    const home = `#${examRoute(sessionId)}`;
    const stay = () => {
      if (!released.current && location.hash !== home) navigate(examRoute(sessionId), { replace: true });
    };
    window.addEventListener("hashchange", stay);
    return () => {
      window.removeEventListener("hashchange", stay);
      header?.removeAttribute("inert");
    };
  }, [sessionId]);
}

function SaveState({ status, onRetry }: { status: SaveStatus; onRetry(): void }) {
  const { t } = useTranslation("exam");
  const previous = useRef(status.state);

  // Said aloud only when something changes that matters: a failure, and saving again after one.
  useEffect(() => {
    if (status.state === "failed" && previous.current !== "failed") {
      announce(t("save.failedAnnounce", { message: sentence(status.error.message) }), "assertive");
    }
    if (status.state === "saved" && previous.current === "failed") announce(t("save.recovered"));
    previous.current = status.state;
  }, [status, t]);

  if (status.state === "failed") {
    return (
      <div className="exam-save exam-save--failed">
        <WarningIcon />
        <span>{t("save.failed", { count: status.count })}</span>
        <button type="button" className="button button--small" onClick={onRetry}>
          {t("save.retry")}
        </button>
      </div>
    );
  }
  const text =
    status.state === "saving"
      ? t("save.saving")
      : status.state === "saved"
        ? t("save.saved", { time: timeOfDay(status.at) })
        : t("save.none");
  return <p className={`exam-save exam-save--${status.state}`}>{text}</p>;
}

/** An RFC 3339 time as hh:mm:ss in the UI's language. */
function timeOfDay(rfc3339: string): string {
  const when = new Date(rfc3339);
  if (Number.isNaN(when.getTime())) return rfc3339;
  return new Intl.DateTimeFormat(i18next.language, { hour: "2-digit", minute: "2-digit", second: "2-digit" }).format(when);
}

function Navigator({
  items,
  current,
  answered,
  flagged,
  onGo,
}: {
  items: PaperItem[];
  current: PaperItem | null | undefined;
  answered(item: PaperItem): boolean;
  flagged: Set<string>;
  onGo(item: PaperItem): void;
}) {
  const { t } = useTranslation("exam");
  const sections = items.reduce<PaperItem[][]>((groups, item) => {
    (groups[item.section] ??= []).push(item);
    return groups;
  }, []);
  return (
    <nav className="exam-nav" aria-label={t("nav.label")}>
      {sections.map((group) => (
        <div key={group[0]?.section} className="exam-nav__section" role="group" aria-label={group[0]?.sectionTitle}>
          <h2 className="exam-nav__title" aria-hidden="true">
            {group[0]?.sectionTitle}
          </h2>
          <ol className="exam-nav__items">
            {group.map((item) => {
              const isCurrent = current?.question.id === item.question.id;
              const done = answered(item);
              const marked = flagged.has(item.question.id);
              return (
                <li key={item.question.id}>
                  <button
                    type="button"
                    className={[
                      "exam-nav__item",
                      done && "exam-nav__item--answered",
                      marked && "exam-nav__item--flagged",
                      isCurrent && "exam-nav__item--current",
                    ]
                      .filter(Boolean)
                      .join(" ")}
                    aria-label={itemStatus(t, item, done, marked)}
                    aria-current={isCurrent ? "step" : undefined}
                    onClick={() => onGo(item)}
                  >
                    {item.number}
                    {marked && <FlagIcon />}
                  </button>
                </li>
              );
            })}
          </ol>
        </div>
      ))}
      <ul className="exam-nav__legend" aria-hidden="true">
        <li>
          <span className="exam-nav__swatch exam-nav__swatch--answered" />
          {t("nav.legendAnswered")}
        </li>
        <li>
          <span className="exam-nav__swatch" />
          {t("nav.legendUnanswered")}
        </li>
        <li>
          <FlagIcon />
          {t("nav.legendFlagged")}
        </li>
      </ul>
    </nav>
  );
}

function Item({
  headingRef,
  item,
  count,
  draft,
  saved,
  feedback,
  flagged,
  onChange,
  onLeaveField,
  onFlag,
  previous,
  next,
  onGo,
  onReview,
}: {
  headingRef: RefObject<HTMLHeadingElement | null>;
  item: PaperItem;
  count: number;
  draft: Draft;
  saved: Response | undefined;
  feedback: ItemFeedback | null;
  flagged: boolean;
  onChange(draft: Draft, typed: boolean): void;
  onLeaveField(): void;
  onFlag(): void;
  previous: PaperItem | undefined;
  next: PaperItem | undefined;
  onGo(item: PaperItem): void;
  onReview(): void;
}) {
  const { t } = useTranslation("exam");
  const { question } = item;
  const idPrefix = `item-${item.number}`;
  return (
    <article className="question exam-item" aria-labelledby={`${idPrefix}-title`}>
      <header className="exam-item__header">
        <div>
          <p className="question__title">{item.sectionTitle}</p>
          <h2 id={`${idPrefix}-title`} ref={headingRef} tabIndex={-1} className="exam-item__title">
            {t("item.heading", { number: item.number, count })}
          </h2>
          <p className="question__points">{t("item.points", { count: question.points })}</p>
        </div>
        <button type="button" className={flagged ? "button button--secondary button--small exam-flag exam-flag--on" : "button button--secondary button--small exam-flag"} aria-pressed={flagged} onClick={onFlag}>
          <FlagIcon />
          {t("item.flag")}
        </button>
      </header>
      <Markdown markdown={question.prompt} source={null} className="question__prompt exam-item__prompt" id={`${idPrefix}-prompt`} />
      <ItemInput
        question={question}
        draft={draft}
        saved={saved}
        idPrefix={idPrefix}
        promptId={`${idPrefix}-prompt`}
        onChange={onChange}
        onLeaveField={onLeaveField}
      />
      {feedback !== null && <Feedback feedback={feedback} />}
      <footer className="exam-item__pager">
        <button type="button" className="button button--secondary" disabled={previous === undefined} onClick={() => previous !== undefined && onGo(previous)}>
          <ArrowLeftIcon />
          {t("item.previous")}
        </button>
        {next !== undefined ? (
          <button type="button" className="button" onClick={() => onGo(next)}>
            {t("item.next")}
            <ArrowRightIcon />
          </button>
        ) : (
          <button type="button" className="button" onClick={onReview}>
            {t("item.toReview")}
            <ArrowRightIcon />
          </button>
        )}
      </footer>
    </article>
  );
}

function verdictOf(feedback: ItemFeedback): "correct" | "partly" | "incorrect" | "pending" {
  if (feedback.score === null) return "pending";
  if (feedback.correct) return "correct";
  return (feedback.score.points ?? 0) > 0 ? "partly" : "incorrect";
}

/** "Partly correct: 0.5 of 1 point." */
function feedbackText(t: TFunction<"exam">, feedback: ItemFeedback): string {
  const format = (value: number) => new Intl.NumberFormat(i18next.language, { maximumFractionDigits: 2 }).format(value);
  const max = feedback.score?.max ?? 0;
  return t(`feedback.${verdictOf(feedback)}`, { points: format(feedback.score?.points ?? 0), max: format(max), count: max });
}

/** Practice exams: the mark of the answer just saved, with the explanation. */
function Feedback({ feedback }: { feedback: ItemFeedback }) {
  const { t } = useTranslation("exam");
  const verdict = verdictOf(feedback);
  return (
    <div className={`feedback feedback--${verdict === "pending" ? "partly" : verdict}`}>
      <p className="feedback__verdict">{feedbackText(t, feedback)}</p>
      {feedback.explanation.trim() !== "" && <Markdown markdown={feedback.explanation} source={null} className="feedback__explanation" />}
    </div>
  );
}

function BreakPanel({
  onResume,
  problem,
  timeLeft,
  breakLeft,
}: {
  onResume(): void;
  problem: string | null;
  timeLeft: number | null;
  breakLeft: number | null;
}) {
  const { t } = useTranslation("exam");
  const resume = useRef<HTMLButtonElement>(null);
  useEffect(() => resume.current?.focus(), []);
  return (
    <div className="exam-break" role="dialog" aria-modal="true" aria-labelledby="break-title" aria-describedby="break-text">
      <div className="exam-break__card">
        <PauseIcon />
        <h2 id="break-title" className="exam-break__title">
          {t("break.title")}
        </h2>
        <p id="break-text" className="exam-break__text">
          {t("break.text")}
        </p>
        {breakLeft !== null && (
          <p className="exam-break__clock">
            <span className="exam-timer__label">{t("break.breakLeft")}</span>
            <span role="timer" className="exam-break__countdown">
              {countdown(breakLeft)}
            </span>
          </p>
        )}
        {timeLeft !== null && <p className="exam-break__time">{t("break.timeLeft", { time: countdown(timeLeft) })}</p>}
        {problem !== null && (
          <p className="question__problem" role="alert">
            {problem}
          </p>
        )}
        <button ref={resume} type="button" className="button" onClick={onResume}>
          {t("break.resume")}
        </button>
      </div>
    </div>
  );
}
