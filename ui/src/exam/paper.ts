// An exam paper's items in order, numbered across sections, and what this run has seen
// of each attempt. Once a result is sealed its questions can no longer be opened, and
// the shell hands out the grading only when it seals; so the result screen shows prompts
// and scores from what was remembered while the app ran.
import type { ExamPaper, FinishedResult, QuestionView, Response, SavedAnswer } from "../bindings.ts";
import { markdownToText } from "../study/markdown.ts";

export type PaperItem = {
  question: QuestionView;
  /** Place on the form: section index and item index within it. */
  section: number;
  index: number;
  /** 1-based, across all sections. */
  number: number;
  sectionTitle: string;
};

export function paperItems(paper: ExamPaper): PaperItem[] {
  let number = 0;
  return paper.sections.flatMap((section, sectionIndex) =>
    section.items.map((question, index) => ({
      question,
      section: sectionIndex,
      index,
      number: ++number,
      sectionTitle: section.title,
    })),
  );
}

/** The first words of a prompt's first paragraph, to recognise an item by. */
export function excerpt(markdown: string): string {
  const paragraph = markdown.trim().split(/\n\s*\n/)[0] ?? "";
  const text = markdownToText(paragraph.replace(/\s+/g, " "));
  return text.length > 120 ? `${text.slice(0, 118).trimEnd()}…` : text;
}

/** The newest saved answer of each item. */
export function latestAnswers(answers: SavedAnswer[]): Map<string, Response> {
  const latest = new Map<string, Response>();
  for (const answer of [...answers].sort((a, b) => a.seq - b.seq)) latest.set(answer.question_id, answer.response);
  return latest;
}

const papers = new Map<string, ExamPaper>();

export function rememberPaper(paper: ExamPaper): void {
  papers.set(paper.session.session_id, paper);
}

export function rememberedPaper(sessionId: string): ExamPaper | undefined {
  return papers.get(sessionId);
}

const results = new Map<string, FinishedResult>();

/** Keeps a result that comes with its grading; returns the best one known. */
export function rememberResult(result: FinishedResult): FinishedResult {
  const sessionId = result.session.session_id;
  if (result.grading !== null) results.set(sessionId, result);
  return results.get(sessionId) ?? result;
}
