// What the candidate is typing or choosing (a draft) and what is saved (a Response), in
// both directions: a draft is rebuilt from the saved answer when the exam reopens, and
// every change of a draft becomes the response to save.
import type { QuestionView, Response } from "../bindings.ts";

export type Draft = {
  choice: string | null;
  choices: string[];
  value: boolean | null;
  /** Numeric, short text and essay answers as typed. */
  text: string;
  order: string[];
  /** Matching: left text → chosen right text ("" = not chosen). */
  pairs: Record<string, string>;
  /** Case study: each part's own draft. */
  parts: Record<string, Draft>;
};

/** Why a draft cannot be saved as it is (a translation key under `exam.item.problem`). */
export type DraftProblem = "number" | "emptyNumber";

export function draftOf(question: QuestionView, saved: Response | undefined): Draft {
  const draft: Draft = {
    choice: null,
    choices: [],
    value: null,
    text: "",
    order: question.options.map((option) => option.id),
    pairs: {},
    parts: {},
  };
  switch (saved?.kind) {
    case "single_choice":
      draft.choice = saved.choice;
      break;
    case "multiple_response":
      draft.choices = saved.choices;
      break;
    case "true_false":
      draft.value = saved.value;
      break;
    case "numeric":
      draft.text = saved.value === null ? "" : String(saved.value);
      break;
    case "short_text":
    case "essay":
      draft.text = saved.text;
      break;
    case "ordering":
      // Keep only ids this item has, then any it has that the saved order lacks.
      draft.order = [
        ...saved.order.filter((id) => draft.order.includes(id)),
        ...draft.order.filter((id) => !saved.order.includes(id)),
      ];
      break;
    case "matching":
      draft.pairs = Object.fromEntries(saved.pairs);
      break;
    default:
      break;
  }
  const savedParts = saved?.kind === "case_study" ? new Map(saved.parts) : new Map<string, Response>();
  for (const part of question.parts) draft.parts[part.id] = draftOf(part, savedParts.get(part.id));
  return draft;
}

/** "3,5" and "3.5" and "1 000" are numbers; anything else is not. */
export function parseNumber(text: string): number | null {
  const compact = text.trim().replace(/\s/g, "").replace(",", ".");
  if (compact === "") return null;
  const value = Number(compact);
  return Number.isFinite(value) ? value : null;
}

/**
 * The response a draft stands for, why it cannot be saved, or null when nothing is chosen. `saved` is the answer on
 * disk: a case study keeps a part's saved answer while that part's draft is not a number.
 */
export function responseOf(
  question: QuestionView,
  draft: Draft,
  saved?: Response,
): Response | { problem: DraftProblem } | null {
  switch (question.kind) {
    case "single_choice":
      return draft.choice === null ? null : { kind: "single_choice", choice: draft.choice };
    case "multiple_response":
      return { kind: "multiple_response", choices: draft.choices };
    case "true_false":
      return draft.value === null ? null : { kind: "true_false", value: draft.value };
    case "numeric": {
      if (draft.text.trim() === "") return { problem: "emptyNumber" };
      const value = parseNumber(draft.text);
      return value === null ? { problem: "number" } : { kind: "numeric", value };
    }
    case "short_text":
      return { kind: "short_text", text: draft.text };
    case "essay":
      return { kind: "essay", text: draft.text };
    case "ordering":
      return { kind: "ordering", order: draft.order };
    case "matching":
      return {
        kind: "matching",
        pairs: question.left.flatMap((left): [string, string][] => {
          const right = draft.pairs[left] ?? "";
          return right === "" ? [] : [[left, right]];
        }),
      };
    case "case_study": {
      const savedParts = saved?.kind === "case_study" ? new Map(saved.parts) : new Map<string, Response>();
      const parts: [string, Response][] = [];
      for (const part of question.parts) {
        const partDraft = draft.parts[part.id];
        const response = partDraft === undefined ? undefined : responseOf(part, partDraft);
        const kept = response === undefined || response === null || "problem" in response ? savedParts.get(part.id) : response;
        if (kept !== undefined && isAnswered(part, kept)) parts.push([part.id, kept]);
      }
      return { kind: "case_study", parts };
    }
    default:
      return null;
  }
}

/** Whether a saved response counts as an answer (an emptied text field does not). */
export function isAnswered(question: QuestionView, response: Response | undefined): boolean {
  switch (response?.kind) {
    case undefined:
      return false;
    case "multiple_response":
      return response.choices.length > 0;
    case "numeric":
      return response.value !== null;
    case "short_text":
    case "essay":
      return response.text.trim() !== "";
    case "matching":
      return response.pairs.length > 0;
    case "case_study":
      return response.parts.length > 0 && question.parts.length > 0;
    default:
      return true;
  }
}

/** Words in an essay, as the limits count them. */
export function wordCount(text: string): number {
  const words = text.trim().split(/\s+/u);
  return words[0] === "" ? 0 : words.length;
}
