// The app: preferences, imports and the router around the shell; one route per screen
// (see /work/ui-contract.md). Study screens (search, course, lesson) live in ./study.
import { lazy, Suspense } from "react";
import { useTranslation } from "react-i18next";
import { Route, Router, Switch } from "wouter";
import { PreferencesProvider } from "./app/preferences.tsx";
import { useHashRoute } from "./app/hashLocation.ts";
import { Shell } from "./app/Shell.tsx";
import { NotFound } from "./app/NotFound.tsx";
import { ImportsProvider } from "./library/imports.tsx";
import { LibraryScreen } from "./library/LibraryScreen.tsx";
import { SettingsScreen } from "./settings/SettingsScreen.tsx";
import { Loading } from "./app/states.tsx";
import { useReopenInterruptedExam } from "./exam/reopen.ts";
import type { Preferences } from "./app/preferences.tsx";
import type { UiError } from "./ipc.ts";

// The library opens first and alone; screens with charts, Markdown, math and code
// highlighting load their code when first visited, so start-up stays quick.
const ProgressScreen = lazy(() => import("./progress/ProgressScreen.tsx").then((m) => ({ default: m.ProgressScreen })));
const NotesScreen = lazy(() => import("./notes/NotesScreen.tsx").then((m) => ({ default: m.NotesScreen })));
const SearchScreen = lazy(() => import("./study/SearchScreen.tsx").then((m) => ({ default: m.SearchScreen })));
const CourseScreen = lazy(() => import("./study/CourseScreen.tsx").then((m) => ({ default: m.CourseScreen })));
const LessonScreen = lazy(() => import("./study/LessonScreen.tsx").then((m) => ({ default: m.LessonScreen })));
const ExamsScreen = lazy(() => import("./exam/ExamsScreen.tsx").then((m) => ({ default: m.ExamsScreen })));
const ExamScreen = lazy(() => import("./exam/ExamScreen.tsx").then((m) => ({ default: m.ExamScreen })));
const ExamResultScreen = lazy(() => import("./exam/ResultScreen.tsx").then((m) => ({ default: m.ResultScreen })));
const SyncScreen = lazy(() => import("./sync/SyncScreen.tsx").then((m) => ({ default: m.SyncScreen })));
const ExamResumeScreen = lazy(() => import("./exam/ResumeScreen.tsx").then((m) => ({ default: m.ResumeScreen })));

function ScreenLoading() {
  const { t } = useTranslation();
  return <Loading label={t("app.loadingScreen")} />;
}

type Props = { preferences: Preferences; preferencesError: UiError | null };

export function App({ preferences, preferencesError }: Props) {
  useReopenInterruptedExam();
  return (
    <PreferencesProvider initial={preferences} loadError={preferencesError}>
      <Router hook={useHashRoute}>
        <ImportsProvider>
          <Shell>
            <Suspense fallback={<ScreenLoading />}>
            <Switch>
              <Route path="/">
                <LibraryScreen />
              </Route>
              <Route path="/progress">
                <ProgressScreen />
              </Route>
              <Route path="/notes">
                <NotesScreen />
              </Route>
              <Route path="/settings">
                <SettingsScreen />
              </Route>
              <Route path="/search">
                <SearchScreen />
              </Route>
              <Route path="/course/:packId">
                {({ packId }) => <CourseScreen key={packId} packId={packId} />}
              </Route>
              <Route path="/course/:packId/lesson/:lessonId">
                {({ packId, lessonId }) => <LessonScreen key={`${packId}/${lessonId}`} packId={packId} lessonId={lessonId} />}
              </Route>
              <Route path="/sync">
                <SyncScreen />
              </Route>
              <Route path="/exams">
                <ExamsScreen />
              </Route>
              <Route path="/exam/:sessionId">
                {({ sessionId }) => <ExamScreen key={sessionId} sessionId={sessionId} />}
              </Route>
              <Route path="/exam/:sessionId/result">
                {({ sessionId }) => <ExamResultScreen key={sessionId} sessionId={sessionId} />}
              </Route>
              <Route path="/exam/:sessionId/resume">
                {({ sessionId }) => <ExamResumeScreen key={sessionId} sessionId={sessionId} />}
              </Route>
              <Route>
                <NotFound />
              </Route>
            </Switch>
            </Suspense>
          </Shell>
        </ImportsProvider>
      </Router>
    </PreferencesProvider>
  );
}
