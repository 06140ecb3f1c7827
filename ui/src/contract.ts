// Transitional: the commands and events of /work/ui-contract.md that the generated
// bindings do not have yet, typed as the contract describes them. Screens import from
// here until `bindings.ts` is regenerated; then this file goes and they import
// `bindings.ts` directly. It calls nothing itself: every call goes to the generated
// `commands`/`events`.
import * as generated from "./bindings.ts";
import type { IpcError } from "./bindings.ts";
import type { EventCallback, UnlistenFn } from "@tauri-apps/api/event";

export type { IpcError };

type Result<T> = Promise<{ status: "ok"; data: T } | { status: "error"; error: IpcError }>;

export type CourseSummary = {
  id: string;
  version: string;
  title: string;
  summary: string;
  track: string | null;
  modules: number;
  lessons: number;
  minutes: number;
  completed: number;
  percent: number;
  resume_lesson_id: string | null;
};
export type LessonOutline = {
  id: string;
  title: string;
  kind: "article" | "video" | "quiz";
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
export type ModuleProgress = { module_id: string; title: string; lessons: number; completed: number };
export type CourseProgress = {
  pack_id: string;
  lessons: number;
  completed: number;
  percent: number;
  active_seconds: number;
  completed_lessons: string[];
  modules: ModuleProgress[];
};
export type Streak = { current_days: number; longest_days: number; studied_today: boolean };
export type TopicAccuracy = { topic_id: string; title: string; answers: number; accuracy: number | null };
export type DailyActivity = { day: string; active_seconds: number; lessons_completed: number; answers: number };
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
export type ImportOutcome =
  | { outcome: "installed"; pack_id: string; version: string }
  | { outcome: "updated"; pack_id: string; from: string; to: string }
  | { outcome: "unchanged"; pack_id: string; version: string };
export type Preferences = {
  theme: "system" | "light" | "dark" | "high_contrast";
  text_scale: number;
  motion: "system" | "reduce" | "full";
  language: string | null;
  inbox_folder: string;
};
export type ImportProgress = { file: string; phase: string; done: number; total: number };
export type LibraryChanged = {
  source: "inbox" | "dialog";
  file: string;
  outcome: ImportOutcome | null;
  error: IpcError | null;
};

type Contract = {
  listCourses(): Result<CourseSummary[]>;
  courseOutline(packId: string): Result<CourseOutline>;
  courseProgress(packId: string): Result<CourseProgress>;
  streak(): Result<Streak>;
  topicAccuracy(packId: string): Result<TopicAccuracy[]>;
  dailyActivity(days: number): Result<DailyActivity[]>;
  notes(packId: string, lessonId: string | null): Result<Note[]>;
  editNote(noteId: string, body: string): Result<null>;
  deleteNote(noteId: string): Result<null>;
  setBookmark(packId: string, lessonId: string, bookmarked: boolean): Result<null>;
  bookmarks(): Result<Bookmark[]>;
  importPack(path: string): Result<ImportOutcome>;
  preferences(): Result<Preferences>;
  setPreferences(preferences: Preferences): Result<null>;
  libraryInteractive(): Promise<void>;
};

type Event<T> = { listen(callback: EventCallback<T>): Promise<UnlistenFn> };
type ContractEvents = { importProgress: Event<ImportProgress>; libraryChanged: Event<LibraryChanged> };

export const commands = generated.commands as unknown as Contract;
export const events = ((generated as Record<string, unknown>).events ?? {}) as ContractEvents;
