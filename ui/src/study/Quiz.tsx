// A quiz lesson: one card per question, answered and checked one at a time with
// immediate feedback and explanation, retried as often as the learner likes, and a
// summary of the score so far against the pass mark.
import { useId, useRef, useState, type FormEvent } from "react";
import { useTranslation } from "react-i18next";
import { announce } from "../app/announce.ts";
import { ProgressBar } from "../app/states.tsx";
import { toUiError } from "../ipc.ts";
import { percent } from "../format.ts";
import i18next from "../i18n.ts";
import { commands, type AnswerFeedback, type QuestionView, type QuizView, type Response } from "../bindings.ts";
import { markdownToText, type MarkdownSource } from "./markdown.ts";
import { ArrowDownIcon, ArrowUpIcon } from "./icons.tsx";
import { Markdown } from "./parts.tsx";

/** Points may be fractional with partial credit: "1.5", "1,5". */
function points(value: number): string {
  return new Intl.NumberFormat(i18next.language, { maximumFractionDigits: 2 }).format(value);
}

export function Quiz({ packId, quiz, source }: { packId: string; quiz: QuizView; source: MarkdownSource }) {
  const { t } = useTranslation("study");
  const [results, setResults] = useState<Record<string, AnswerFeedback>>({});
  // The results as of the last answer, also between an answer and the next render.
  const latest = useRef(results);
  const count = quiz.questions.length;

  /** Keeps a question's result; once every question has one, returns the verdict to say. */
  const record = (questionId: string, feedback: AnswerFeedback): string | null => {
    latest.current = { ...latest.current, [questionId]: feedback };
    setResults(latest.current);
    const summary = summarize(quiz, latest.current);
    if (!summary.finished) return null;
    return summary.passed ? t("quiz.summary.passed") : t("quiz.summary.notPassed");
  };

  return (
    <section className="quiz" aria-labelledby="quiz-heading">
      <h2 id="quiz-heading" className="quiz__heading">
        {t("quiz.heading", { count })}
      </h2>
      <ol className="quiz__questions">
        {quiz.questions.map((question, index) => (
          <li key={question.id}>
            <QuestionCard
              packId={packId}
              question={question}
              number={index + 1}
              count={count}
              source={source}
              onResult={(feedback) => record(question.id, feedback)}
            />
          </li>
        ))}
      </ol>
      <QuizSummary quiz={quiz} results={results} />
    </section>
  );
}

function summarize(quiz: QuizView, results: Record<string, AnswerFeedback>) {
  // An answer nobody grades here (an essay) counts as answered, its points in neither sum.
  const graded = quiz.questions.filter((q) => results[q.id]?.score !== null);
  const total = graded.reduce((sum, q) => sum + q.points, 0);
  const answered = quiz.questions.filter((q) => results[q.id] !== undefined).length;
  const earned = graded.reduce((sum, q) => sum + (results[q.id]?.score?.points ?? 0), 0);
  const share = total > 0 ? (earned / total) * 100 : 0;
  return {
    total,
    answered,
    earned,
    share,
    finished: answered === quiz.questions.length,
    passed: share + 1e-9 >= quiz.pass_percent,
  };
}

function QuizSummary({ quiz, results }: { quiz: QuizView; results: Record<string, AnswerFeedback> }) {
  const { t } = useTranslation("study");
  const { total, answered, earned, share, finished, passed } = summarize(quiz, results);
  const verdict = !finished
    ? t("quiz.summary.inProgress", { answered, count: quiz.questions.length })
    : passed
      ? t("quiz.summary.passed")
      : t("quiz.summary.notPassed");

  return (
    <section className={`quiz-summary${finished ? (passed ? " quiz-summary--passed" : " quiz-summary--failed") : ""}`} aria-labelledby="quiz-summary-heading">
      <h2 id="quiz-summary-heading" className="quiz-summary__title">
        {t("quiz.summary.heading")}
      </h2>
      <p className="quiz-summary__score">
        {t("quiz.summary.score", { points: points(earned), total: points(total), percent: percent(share) })}
      </p>
      <ProgressBar
        value={earned}
        max={total}
        label={t("quiz.summary.heading")}
        text={t("quiz.summary.score", { points: points(earned), total: points(total), percent: percent(share) })}
      />
      <p className="quiz-summary__pass">{t("quiz.summary.passMark", { percent: percent(quiz.pass_percent) })}</p>
      <p className="quiz-summary__verdict">{verdict}</p>
    </section>
  );
}

/** `null`: the answer has no score here (an essay), so no verdict. */
function verdictOf(feedback: AnswerFeedback): "correct" | "partly" | "incorrect" | null {
  if (feedback.score === null) return null;
  if (feedback.correct) return "correct";
  return (feedback.score.points ?? 0) > 0 ? "partly" : "incorrect";
}

type Draft = {
  choice: string | null;
  choices: string[];
  value: boolean | null;
  text: string;
  order: string[];
  pairs: Record<string, string>;
};

function emptyDraft(question: QuestionView): Draft {
  return { choice: null, choices: [], value: null, text: "", order: question.options.map((o) => o.id), pairs: {} };
}

/** The draft as a response, or the translation key of what is missing. */
function toResponse(question: QuestionView, draft: Draft): Response | { missing: string } {
  switch (question.kind) {
    case "single_choice":
      return draft.choice === null ? { missing: "quiz.missing.choice" } : { kind: "single_choice", choice: draft.choice };
    case "multiple_response":
      return draft.choices.length === 0
        ? { missing: "quiz.missing.choices" }
        : { kind: "multiple_response", choices: draft.choices };
    case "true_false":
      return draft.value === null ? { missing: "quiz.missing.choice" } : { kind: "true_false", value: draft.value };
    case "numeric": {
      const value = Number(draft.text.trim().replace(/\s/g, "").replace(",", "."));
      return draft.text.trim() === "" || !Number.isFinite(value)
        ? { missing: "quiz.missing.number" }
        : { kind: "numeric", value };
    }
    case "short_text":
      return draft.text.trim() === "" ? { missing: "quiz.missing.text" } : { kind: "short_text", text: draft.text };
    case "ordering":
      return { kind: "ordering", order: draft.order };
    case "matching":
      return question.left.some((left) => (draft.pairs[left] ?? "") === "")
        ? { missing: "quiz.missing.pairs" }
        : { kind: "matching", pairs: question.left.map((left): [string, string] => [left, draft.pairs[left] ?? ""]) };
    default:
      return { missing: "quiz.missing.unsupported" };
  }
}

function QuestionCard({
  packId,
  question,
  number,
  count,
  source,
  onResult,
}: {
  packId: string;
  question: QuestionView;
  number: number;
  count: number;
  source: MarkdownSource;
  /** Returns what to say after the verdict, when there is more to say. */
  onResult: (feedback: AnswerFeedback) => string | null;
}) {
  const { t } = useTranslation("study");
  const id = useId();
  const [draft, setDraft] = useState<Draft>(() => emptyDraft(question));
  const [feedback, setFeedback] = useState<AnswerFeedback | null>(null);
  const [problem, setProblem] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const update = (change: Partial<Draft>) => {
    setDraft((previous) => ({ ...previous, ...change }));
    setProblem(null);
  };

  const check = async (event: FormEvent) => {
    event.preventDefault();
    if (busy) return;
    if (feedback !== null) {
      // "Try again": keep the answer so it can be changed.
      setFeedback(null);
      announce(t("quiz.retrying", { number }));
      return;
    }
    const response = toResponse(question, draft);
    if ("missing" in response) {
      setProblem(t(response.missing));
      return;
    }
    setBusy(true);
    try {
      const result = await commands.answerQuestion(packId, question.id, response);
      if (result.status === "error") throw result.error;
      setFeedback(result.data);
      const said = [verdictText(result.data), onResult(result.data)].filter((text) => text !== null).join(" ");
      if (said !== "") announce(said);
    } catch (error) {
      setProblem(toUiError(error).message);
    } finally {
      setBusy(false);
    }
  };

  const verdictText = (result: AnswerFeedback): string | null => {
    const verdict = verdictOf(result);
    if (result.score === null || verdict === null) return null;
    const max = result.score.max ?? question.points;
    const values = { points: points(result.score.points ?? 0), max: points(max), count: max };
    return t(`quiz.verdict.${verdict}`, values);
  };
  const verdict = feedback === null ? null : verdictOf(feedback);

  return (
    <article
      className={`question${verdict !== null ? ` question--${verdict}` : ""}`}
      aria-labelledby={`${id}-title`}
      data-question={question.id}
      tabIndex={-1}
    >
      <header className="question__header">
        <h3 id={`${id}-title`} className="question__title">
          {t("quiz.questionNumber", { number, count })}
        </h3>
        <span className="question__points">{t("quiz.points", { count: question.points })}</span>
      </header>
      <Markdown markdown={question.prompt} source={source} className="question__prompt" id={`${id}-prompt`} />
      <form className="question__form" onSubmit={(event) => void check(event)} noValidate>
        <fieldset className="question__answer" disabled={feedback !== null || busy} aria-describedby={`${id}-prompt`}>
          <legend className="visually-hidden">{t("quiz.answerFor", { number })}</legend>
          <AnswerInput question={question} draft={draft} update={update} source={source} id={id} />
        </fieldset>
        {problem !== null && (
          <p className="question__problem" role="alert">
            {problem}
          </p>
        )}
        {feedback !== null && (
          <div className={`feedback${verdict !== null ? ` feedback--${verdict}` : ""}`}>
            {verdict !== null && <p className="feedback__verdict">{verdictText(feedback)}</p>}
            {feedback.explanation.trim() !== "" && (
              <Markdown markdown={feedback.explanation} source={source} className="feedback__explanation" />
            )}
          </div>
        )}
        <div className="question__actions">
          {/* One button for both steps, so focus stays on it after checking. */}
          <button type="submit" className={feedback === null ? "button" : "button button--secondary"} aria-disabled={busy}>
            {feedback === null ? t("quiz.check") : t("quiz.tryAgain")}
          </button>
        </div>
      </form>
    </article>
  );
}

function AnswerInput({
  question,
  draft,
  update,
  source,
  id,
}: {
  question: QuestionView;
  draft: Draft;
  update: (change: Partial<Draft>) => void;
  source: MarkdownSource;
  id: string;
}) {
  const { t } = useTranslation("study");
  switch (question.kind) {
    case "single_choice":
      return (
        <div className="choices quiz-choices">
          {question.options.map((option) => (
            <label key={option.id} className="choice quiz-choice">
              <input
                type="radio"
                className="choice__input"
                name={`${id}-choice`}
                value={option.id}
                checked={draft.choice === option.id}
                onChange={() => update({ choice: option.id })}
              />
              <Markdown markdown={option.text} source={source} inline className="quiz-choice__text" />
            </label>
          ))}
        </div>
      );
    case "multiple_response":
      return (
        <div className="choices quiz-choices">
          {question.options.map((option) => (
            <label key={option.id} className="choice quiz-choice">
              <input
                type="checkbox"
                className="choice__input"
                value={option.id}
                checked={draft.choices.includes(option.id)}
                onChange={(event) =>
                  update({
                    choices: event.target.checked
                      ? [...draft.choices, option.id]
                      : draft.choices.filter((c) => c !== option.id),
                  })
                }
              />
              <Markdown markdown={option.text} source={source} inline className="quiz-choice__text" />
            </label>
          ))}
        </div>
      );
    case "true_false":
      return (
        <div className="choices quiz-choices quiz-choices--inline">
          {[true, false].map((value) => (
            <label key={String(value)} className="choice quiz-choice">
              <input
                type="radio"
                className="choice__input"
                name={`${id}-truth`}
                checked={draft.value === value}
                onChange={() => update({ value })}
              />
              <span className="quiz-choice__text">{value ? t("quiz.true") : t("quiz.false")}</span>
            </label>
          ))}
        </div>
      );
    case "numeric":
      return (
        <div className="field">
          <label htmlFor={`${id}-number`} className="field__label">
            {t("quiz.yourNumber")}
          </label>
          <div className="number-input">
            <input
              id={`${id}-number`}
              className="study-input"
              type="text"
              inputMode="decimal"
              autoComplete="off"
              value={draft.text}
              onChange={(event) => update({ text: event.target.value })}
              aria-describedby={question.unit !== null ? `${id}-unit` : undefined}
            />
            {question.unit !== null && (
              <span id={`${id}-unit`} className="number-input__unit">
                <span className="visually-hidden">{t("quiz.unit")} </span>
                {question.unit}
              </span>
            )}
          </div>
        </div>
      );
    case "short_text":
      return (
        <div className="field">
          <label htmlFor={`${id}-text`} className="field__label">
            {t("quiz.yourAnswer")}
          </label>
          <input
            id={`${id}-text`}
            className="study-input"
            type="text"
            autoComplete="off"
            value={draft.text}
            onChange={(event) => update({ text: event.target.value })}
          />
        </div>
      );
    case "ordering":
      return <Ordering question={question} order={draft.order} onChange={(order) => update({ order })} source={source} />;
    case "matching":
      return (
        <div className="matching">
          <p className="quiz-hint">{t("quiz.matchHint")}</p>
          {question.left.map((left, index) => (
            <div key={left} className="matching__row">
              <label htmlFor={`${id}-match-${index}`} className="matching__left">
                <Markdown markdown={left} source={source} inline />
              </label>
              <select
                id={`${id}-match-${index}`}
                className="study-select"
                value={draft.pairs[left] ?? ""}
                onChange={(event) => update({ pairs: { ...draft.pairs, [left]: event.target.value } })}
              >
                <option value="">{t("quiz.choose")}</option>
                {question.right.map((right) => (
                  <option key={right} value={right}>
                    {markdownToText(right)}
                  </option>
                ))}
              </select>
            </div>
          ))}
        </div>
      );
    default:
      return <p>{t("quiz.missing.unsupported")}</p>;
  }
}

/** Items put in order with Move up / Move down buttons; focus follows the moved item. */
function Ordering({
  question,
  order,
  onChange,
  source,
}: {
  question: QuestionView;
  order: string[];
  onChange: (order: string[]) => void;
  source: MarkdownSource;
}) {
  const { t } = useTranslation("study");
  const buttons = useRef(new Map<string, HTMLButtonElement>());
  const textOf = (optionId: string) => markdownToText(question.options.find((o) => o.id === optionId)?.text ?? "");

  const move = (from: number, by: -1 | 1) => {
    const to = from + by;
    const item = order[from];
    if (item === undefined || to < 0 || to >= order.length) return;
    const next = [...order];
    next.splice(from, 1);
    next.splice(to, 0, item);
    onChange(next);
    announce(t("quiz.moved", { item: textOf(item), position: to + 1, count: order.length }));
    // At the end of the list the pressed button does nothing more: offer the other one.
    const atEdge = to === 0 || to === order.length - 1;
    const direction = atEdge ? (by === -1 ? "down" : "up") : by === -1 ? "up" : "down";
    window.requestAnimationFrame(() => buttons.current.get(`${item}:${direction}`)?.focus());
  };

  return (
    <div className="ordering">
      <p className="quiz-hint">{t("quiz.orderHint")}</p>
      <ol className="ordering__list">
        {order.map((optionId, index) => {
          const text = textOf(optionId);
          const option = question.options.find((o) => o.id === optionId);
          return (
            <li key={optionId} className="ordering__item">
              <span className="ordering__position" aria-hidden="true">
                {index + 1}
              </span>
              <Markdown markdown={option?.text ?? ""} source={source} inline className="ordering__text" />
              <span className="ordering__buttons">
                <button
                  type="button"
                  className="icon-button"
                  ref={(element) => {
                    if (element !== null) buttons.current.set(`${optionId}:up`, element);
                  }}
                  aria-label={t("quiz.moveUp", { item: text })}
                  aria-disabled={index === 0}
                  onClick={() => move(index, -1)}
                >
                  <ArrowUpIcon />
                </button>
                <button
                  type="button"
                  className="icon-button"
                  ref={(element) => {
                    if (element !== null) buttons.current.set(`${optionId}:down`, element);
                  }}
                  aria-label={t("quiz.moveDown", { item: text })}
                  aria-disabled={index === order.length - 1}
                  onClick={() => move(index, 1)}
                >
                  <ArrowDownIcon />
                </button>
              </span>
            </li>
          );
        })}
      </ol>
    </div>
  );
}
