// Transitional: the study commands of /work/ui-contract.md, typed as the contract
// describes them, until `bindings.ts` is regenerated with them. Then the types below are
// replaced by re-exports of the generated ones and `commands` by the generated object.
// It calls nothing itself: every call goes to the generated `commands`.
import * as generated from "../bindings.ts";
import type { IpcError } from "../bindings.ts";

type Result<T> = Promise<{ status: "ok"; data: T } | { status: "error"; error: IpcError }>;

export type LessonKind = "article" | "video" | "quiz";
export type LessonOutline = {
  id: string;
  title: string;
  kind: LessonKind;
  minutes: number;
  topics: string[];
  completed: boolean;
};
export type ModuleOutline = { id: string; title: string; summary: string; lessons: LessonOutline[] };
export type CourseOutline = {
  id: string;
  version: string;
  title: string;
  summary: string;
  track: string | null;
  modules: ModuleOutline[];
};
export type Chapter = { at: number; title: string };
export type Cue = { start: number; end: number; text: string };
export type VideoView = { path: string; mime: string; chapters: Chapter[]; transcript: Cue[] };
export type OptionView = { id: string; text: string };
export type QuestionView = {
  id: string;
  kind: string;
  prompt: string;
  points: number;
  topics: string[];
  options: OptionView[];
  left: string[];
  right: string[];
  unit: string | null;
};
export type QuizView = { pass_percent: number; questions: QuestionView[] };
export type LessonView = {
  pack_id: string;
  module_id: string;
  id: string;
  title: string;
  kind: LessonKind;
  minutes: number;
  topics: string[];
  path: string;
  markdown: string;
  previous: string | null;
  next: string | null;
  video: VideoView | null;
  quiz: QuizView | null;
};
export type Response =
  | { kind: "single_choice"; choice: string }
  | { kind: "multiple_response"; choices: string[] }
  | { kind: "true_false"; value: boolean }
  | { kind: "numeric"; value: number }
  | { kind: "short_text"; text: string }
  | { kind: "ordering"; order: string[] }
  | { kind: "matching"; pairs: [string, string][] };
export type Score = { points: number; max: number };
export type AnswerFeedback = { score: Score; correct: boolean; explanation: string };
export type SearchHit = {
  kind: "lesson" | "question";
  pack_id: string;
  item_id: string;
  lesson_id: string | null;
  title: string;
  snippet: string;
  passage: string;
};
export type Note = {
  id: string;
  pack_id: string;
  lesson_id: string;
  quote: string;
  body: string;
  created_at: string;
  updated_at: string;
};
export type Bookmark = { pack_id: string; lesson_id: string; lesson_title: string; created_at: string };
export type CourseSummary = { id: string; title: string };

type StudyCommands = {
  listCourses(): Result<CourseSummary[]>;
  courseOutline(packId: string): Result<CourseOutline>;
  lesson(packId: string, lessonId: string): Result<LessonView>;
  openLesson(packId: string, lessonId: string): Result<null>;
  recordStudyTime(packId: string, lessonId: string, activeSeconds: number): Result<null>;
  completeLesson(packId: string, lessonId: string): Result<null>;
  answerQuestion(packId: string, questionId: string, response: Response): Result<AnswerFeedback>;
  search(query: string, limit: number): Result<SearchHit[]>;
  notes(packId: string, lessonId: string | null): Result<Note[]>;
  addNote(packId: string, lessonId: string, quote: string, body: string): Result<Note>;
  editNote(noteId: string, body: string): Result<null>;
  deleteNote(noteId: string): Result<null>;
  setBookmark(packId: string, lessonId: string, bookmarked: boolean): Result<null>;
  bookmarks(): Result<Bookmark[]>;
};

export const commands = generated.commands as unknown as StudyCommands;

