// The review before handing in: what still needs attention (unanswered and flagged items)
// first, with counts, then every item by section; each goes back to its item. Handing in
// asks once more, saying what is unanswered and that it is final.
import type { RefObject } from "react";
import { useTranslation } from "react-i18next";
import type { TFunction } from "i18next";
import { FlagIcon } from "./icons.tsx";
import { excerpt, type PaperItem } from "./paper.ts";

/** "Question 3, answered, flagged": how the navigator and review name an item. */
export function itemStatus(t: TFunction<"exam">, item: PaperItem, answered: boolean, flagged: boolean): string {
  return [t("nav.question", { number: item.number }), answered ? t("nav.answered") : t("nav.unanswered"), flagged ? t("nav.flagged") : null]
    .filter(Boolean)
    .join(", ");
}

type Props = {
  headingRef: RefObject<HTMLHeadingElement | null>;
  items: PaperItem[];
  answered(item: PaperItem): boolean;
  flagged: Set<string>;
  unanswered: number;
  flaggedCount: number;
  submitting: boolean;
  onGo(item: PaperItem): void;
  onSubmit(): void;
};

export function Review({ headingRef, items, answered, flagged, unanswered, flaggedCount, submitting, onGo, onSubmit }: Props) {
  const { t } = useTranslation("exam");
  const attention = items.filter((item) => !answered(item) || flagged.has(item.question.id));
  const sections = items.reduce<PaperItem[][]>((groups, item) => {
    (groups[item.section] ??= []).push(item);
    return groups;
  }, []);

  const row = (item: PaperItem) => {
    const done = answered(item);
    const marked = flagged.has(item.question.id);
    return (
      <li key={item.question.id}>
        <button
          type="button"
          className={`exam-review__item${done ? "" : " exam-review__item--unanswered"}${marked ? " exam-review__item--flagged" : ""}`}
          onClick={() => onGo(item)}
        >
          <span className="exam-review__number" aria-hidden="true">
            {item.number}
          </span>
          <span className="exam-review__text">
            <span className="exam-review__status">{itemStatus(t, item, done, marked)}</span>
            <span className="exam-review__excerpt">{excerpt(item.question.prompt)}</span>
          </span>
          {marked && <FlagIcon />}
        </button>
      </li>
    );
  };

  return (
    <section className="exam-review" aria-labelledby="review-title">
      <header>
        <h2 id="review-title" ref={headingRef} tabIndex={-1} className="exam-item__title">
          {t("review.title")}
        </h2>
        <p className="exam-review__summary">
          {t("review.summary", { answered: items.length - unanswered, count: items.length })}
          {unanswered > 0 && <strong className="exam-review__count exam-review__count--unanswered">{t("review.unanswered", { count: unanswered })}</strong>}
          {flaggedCount > 0 && <strong className="exam-review__count exam-review__count--flagged">{t("review.flagged", { count: flaggedCount })}</strong>}
        </p>
      </header>

      {attention.length > 0 && (
        <section className="exam-review__group exam-review__group--attention" aria-labelledby="review-attention">
          <h3 id="review-attention" className="exam-review__heading">
            {t("review.attention", { count: attention.length })}
          </h3>
          <ul className="exam-review__list">{attention.map(row)}</ul>
        </section>
      )}

      {sections.map((group) => (
        <section key={group[0]?.section} className="exam-review__group" aria-labelledby={`review-section-${group[0]?.section}`}>
          <h3 id={`review-section-${group[0]?.section}`} className="exam-review__heading">
            {group[0]?.sectionTitle}
          </h3>
          <ul className="exam-review__list">{group.map(row)}</ul>
        </section>
      ))}

      <div className="exam-review__submit">
        <p>{t("review.submitNote")}</p>
        <button type="button" className="button button--danger" onClick={() => !submitting && onSubmit()} aria-disabled={submitting}>
          {submitting ? t("review.submitting") : t("review.submit")}
        </button>
      </div>
    </section>
  );
}
