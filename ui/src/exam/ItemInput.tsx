// The answer controls of one exam item, for every item kind: radios, checkboxes, true or
// false, a number with its unit, short text, an essay with its word count, ordering (move
// buttons, or Alt+Up/Down on them), matching (a list per left-hand prompt), and a case
// study: its shared material, then each part as an item of its own.
import { useRef, type KeyboardEvent } from "react";
import { useTranslation } from "react-i18next";
import type { QuestionView, Response } from "../bindings.ts";
import { announce } from "../app/announce.ts";
import { ArrowDownIcon, ArrowUpIcon } from "../study/icons.tsx";
import { Markdown } from "../study/parts.tsx";
import { markdownToText } from "../study/markdown.ts";
import { parseNumber, wordCount, type Draft } from "./responses.ts";

type Props = {
  question: QuestionView;
  draft: Draft;
  /** The answer on disk for this item (or part). */
  saved: Response | undefined;
  /** Unique per item (and part), for element ids. */
  idPrefix: string;
  /** `typed`: the change is typing, saved after a pause rather than at once. */
  onChange(draft: Draft, typed: boolean): void;
  /** Focus left a text field: what was typed is saved now. */
  onLeaveField(): void;
  /** The element holding the item's prompt. */
  promptId?: string;
};

export function ItemInput(props: Props) {
  const { question } = props;
  const { t } = useTranslation("exam");
  if (question.kind === "case_study") return <CaseStudy {...props} />;
  return (
    <fieldset className="question__answer exam-answer" aria-describedby={props.promptId}>
      <legend className="visually-hidden">{t("item.answerLegend")}</legend>
      <AnswerControls {...props} />
    </fieldset>
  );
}

function AnswerControls({ question, draft, saved, idPrefix, onChange, onLeaveField }: Props) {
  const { t } = useTranslation("exam");
  const update = (change: Partial<Draft>, typed = false) => onChange({ ...draft, ...change }, typed);

  switch (question.kind) {
    case "single_choice":
      return (
        <div className="choices quiz-choices">
          {question.options.map((option) => (
            <label key={option.id} className="choice quiz-choice">
              <input
                type="radio"
                className="choice__input"
                name={`${idPrefix}-choice`}
                value={option.id}
                checked={draft.choice === option.id}
                onChange={() => update({ choice: option.id })}
              />
              <Markdown markdown={option.text} source={null} inline className="quiz-choice__text" />
            </label>
          ))}
        </div>
      );
    case "multiple_response":
      return (
        <>
        <p className="quiz-hint">{t("item.chooseAll")}</p>
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
                      : draft.choices.filter((choice) => choice !== option.id),
                  })
                }
              />
              <Markdown markdown={option.text} source={null} inline className="quiz-choice__text" />
            </label>
          ))}
        </div>
        </>
      );
    case "true_false":
      return (
        <div className="choices quiz-choices quiz-choices--inline">
          {[true, false].map((value) => (
            <label key={String(value)} className="choice quiz-choice">
              <input
                type="radio"
                className="choice__input"
                name={`${idPrefix}-truth`}
                checked={draft.value === value}
                onChange={() => update({ value })}
              />
              <span className="quiz-choice__text">{value ? t("item.true") : t("item.false")}</span>
            </label>
          ))}
        </div>
      );
    case "numeric":
      return <NumberAnswer question={question} draft={draft} saved={saved} idPrefix={idPrefix} update={update} onLeaveField={onLeaveField} />;
    case "short_text":
      return (
        <div className="field">
          <label htmlFor={`${idPrefix}-text`} className="field__label">
            {t("item.yourAnswer")}
          </label>
          <input
            id={`${idPrefix}-text`}
            className="study-input"
            type="text"
            autoComplete="off"
            spellCheck={false}
            value={draft.text}
            onChange={(event) => update({ text: event.target.value }, true)}
            onBlur={onLeaveField}
          />
        </div>
      );
    case "essay":
      return <Essay question={question} draft={draft} idPrefix={idPrefix} update={update} onLeaveField={onLeaveField} />;
    case "ordering":
      return <Ordering question={question} draft={draft} saved={saved} update={update} />;
    case "matching":
      return (
        <div className="matching">
          <p className="quiz-hint">{t("item.matchHint")}</p>
          {question.left.map((left, index) => (
            <div key={left} className="matching__row">
              <label htmlFor={`${idPrefix}-match-${index}`} className="matching__left">
                <Markdown markdown={left} source={null} inline />
              </label>
              <select
                id={`${idPrefix}-match-${index}`}
                className="study-select"
                value={draft.pairs[left] ?? ""}
                onChange={(event) => update({ pairs: { ...draft.pairs, [left]: event.target.value } })}
              >
                <option value="">{t("item.choose")}</option>
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
      return <p className="question__problem">{t("item.unsupported")}</p>;
  }
}

type Update = (change: Partial<Draft>, typed?: boolean) => void;

function NumberAnswer({
  question,
  draft,
  saved,
  idPrefix,
  update,
  onLeaveField,
}: {
  question: QuestionView;
  draft: Draft;
  saved: Response | undefined;
  idPrefix: string;
  update: Update;
  onLeaveField(): void;
}) {
  const { t } = useTranslation("exam");
  const empty = draft.text.trim() === "";
  const notANumber = !empty && parseNumber(draft.text) === null;
  const savedValue = saved?.kind === "numeric" ? saved.value : null;
  const hint = notANumber
    ? t("item.notANumber")
    : empty && savedValue !== null
      ? t("item.emptyKeepsSaved", { value: savedValue })
      : null;
  return (
    <div className="field">
      <label htmlFor={`${idPrefix}-number`} className="field__label">
        {t("item.yourNumber")}
      </label>
      <div className="number-input">
        <input
          id={`${idPrefix}-number`}
          className="study-input"
          type="text"
          inputMode="decimal"
          autoComplete="off"
          value={draft.text}
          onChange={(event) => update({ text: event.target.value }, true)}
          onBlur={onLeaveField}
          aria-invalid={notANumber}
          aria-describedby={[question.unit !== null && `${idPrefix}-unit`, hint !== null && `${idPrefix}-number-hint`].filter(Boolean).join(" ") || undefined}
        />
        {question.unit !== null && (
          <span id={`${idPrefix}-unit`} className="number-input__unit">
            <span className="visually-hidden">{t("item.unit")} </span>
            {question.unit}
          </span>
        )}
      </div>
      {hint !== null && (
        <p id={`${idPrefix}-number-hint`} className={notANumber ? "question__problem" : "field__hint"}>
          {hint}
        </p>
      )}
    </div>
  );
}

function Essay({
  question,
  draft,
  idPrefix,
  update,
  onLeaveField,
}: {
  question: QuestionView;
  draft: Draft;
  idPrefix: string;
  update: Update;
  onLeaveField(): void;
}) {
  const { t } = useTranslation("exam");
  const words = wordCount(draft.text);
  const min = question.min_words;
  const max = question.max_words;
  const limits =
    min !== null && max !== null
      ? t("item.essay.between", { min, max })
      : min !== null
        ? t("item.essay.atLeast", { count: min })
        : max !== null
          ? t("item.essay.atMost", { count: max })
          : null;
  const over = max !== null && words > max;
  const under = min !== null && words > 0 && words < min;
  return (
    <div className="field exam-essay">
      <label htmlFor={`${idPrefix}-essay`} className="field__label">
        {t("item.essay.label")}
      </label>
      {limits !== null && (
        <p id={`${idPrefix}-essay-limits`} className="field__hint">
          {limits}
        </p>
      )}
      <textarea
        id={`${idPrefix}-essay`}
        className="study-input exam-essay__text"
        rows={10}
        value={draft.text}
        onChange={(event) => update({ text: event.target.value }, true)}
        onBlur={onLeaveField}
        aria-describedby={limits !== null ? `${idPrefix}-essay-limits` : undefined}
      />
      <p className={over ? "exam-essay__count exam-essay__count--over" : "exam-essay__count"}>
        {t("item.essay.count", { count: words })}
        {over && ` · ${t("item.essay.over", { count: words - (max ?? 0) })}`}
        {under && ` · ${t("item.essay.under", { count: (min ?? 0) - words })}`}
      </p>
    </div>
  );
}

/** Items put in order with Move up / Move down buttons, or Alt+Up/Down on them. */
function Ordering({ question, draft, saved, update }: { question: QuestionView; draft: Draft; saved: Response | undefined; update: Update }) {
  const { t } = useTranslation("exam");
  const buttons = useRef(new Map<string, HTMLButtonElement>());
  const order = draft.order;
  const textOf = (optionId: string) => markdownToText(question.options.find((o) => o.id === optionId)?.text ?? "");

  const move = (from: number, by: -1 | 1, keep: "up" | "down" | null) => {
    const to = from + by;
    const item = order[from];
    if (item === undefined || to < 0 || to >= order.length) return;
    const next = [...order];
    next.splice(from, 1);
    next.splice(to, 0, item);
    update({ order: next });
    announce(t("item.moved", { item: textOf(item), position: to + 1, count: order.length }));
    // With the keyboard shortcut focus stays on the same button; a pressed button that
    // can do no more at the end of the list hands focus to the other one.
    const atEdge = to === 0 || to === order.length - 1;
    const direction = keep ?? (atEdge ? (by === -1 ? "down" : "up") : by === -1 ? "up" : "down");
    window.requestAnimationFrame(() => buttons.current.get(`${item}:${direction}`)?.focus());
  };

  const onKeyDown = (event: KeyboardEvent, index: number, button: "up" | "down") => {
    if (!event.altKey || (event.key !== "ArrowUp" && event.key !== "ArrowDown")) return;
    event.preventDefault();
    move(index, event.key === "ArrowUp" ? -1 : 1, button);
  };

  return (
    <div className="ordering">
      <p className="quiz-hint">{t("item.orderHint")}</p>
      <ol className="ordering__list">
        {order.map((optionId, index) => {
          const text = textOf(optionId);
          const option = question.options.find((o) => o.id === optionId);
          return (
            <li key={optionId} className="ordering__item">
              <span className="ordering__position" aria-hidden="true">
                {index + 1}
              </span>
              <Markdown markdown={option?.text ?? ""} source={null} inline className="ordering__text" />
              <span className="ordering__buttons">
                {(["up", "down"] as const).map((direction) => (
                  <button
                    key={direction}
                    type="button"
                    className="icon-button"
                    ref={(element) => {
                      if (element !== null) buttons.current.set(`${optionId}:${direction}`, element);
                    }}
                    aria-label={t(direction === "up" ? "item.moveUp" : "item.moveDown", { item: text, position: index + 1, count: order.length })}
                    aria-keyshortcuts={direction === "up" ? "Alt+ArrowUp" : "Alt+ArrowDown"}
                    aria-disabled={direction === "up" ? index === 0 : index === order.length - 1}
                    onClick={() => move(index, direction === "up" ? -1 : 1, null)}
                    onKeyDown={(event) => onKeyDown(event, index, direction)}
                  >
                    {direction === "up" ? <ArrowUpIcon /> : <ArrowDownIcon />}
                  </button>
                ))}
              </span>
            </li>
          );
        })}
      </ol>
      {saved === undefined && (
        <button type="button" className="button button--secondary button--small exam-keep-order" onClick={() => update({ order })}>
          {t("item.keepOrder")}
        </button>
      )}
    </div>
  );
}

/** A case study: the shared material, then each part with its own prompt and answer. */
function CaseStudy({ question, draft, saved, idPrefix, onChange, onLeaveField }: Props) {
  const { t } = useTranslation("exam");
  const savedParts = saved?.kind === "case_study" ? new Map(saved.parts) : new Map<string, Response>();
  return (
    <div className="exam-case">
      {question.stimulus !== null && (
        <section className="exam-case__stimulus" aria-label={t("item.caseMaterial")}>
          <Markdown markdown={question.stimulus} source={null} className="question__prompt" />
        </section>
      )}
      <ol className="exam-case__parts">
        {question.parts.map((part, index) => {
          const partDraft = draft.parts[part.id];
          if (partDraft === undefined) return null;
          const partId = `${idPrefix}-part-${index}`;
          return (
            <li key={part.id}>
              <section className="exam-case__part" aria-labelledby={`${partId}-title`}>
                <header className="question__header">
                  <h3 id={`${partId}-title`} className="question__title">
                    {t("item.part", { number: index + 1, count: question.parts.length })}
                  </h3>
                  <span className="question__points">{t("item.points", { count: part.points })}</span>
                </header>
                <Markdown markdown={part.prompt} source={null} className="question__prompt" id={`${partId}-prompt`} />
                <fieldset className="question__answer exam-answer" aria-describedby={`${partId}-prompt`}>
                  <legend className="visually-hidden">{t("item.partLegend", { number: index + 1 })}</legend>
                  <AnswerControls
                    question={part}
                    draft={partDraft}
                    saved={savedParts.get(part.id)}
                    idPrefix={partId}
                    onChange={(next, typed) => onChange({ ...draft, parts: { ...draft.parts, [part.id]: next } }, typed)}
                    onLeaveField={onLeaveField}
                  />
                </fieldset>
              </section>
            </li>
          );
        })}
      </ol>
    </div>
  );
}
