// The app: preferences, imports and the router around the shell; one route per screen
// (see /work/ui-contract.md). Study screens (search, course, lesson) live in ./study.
import { Route, Router, Switch } from "wouter";
import { PreferencesProvider } from "./app/preferences.tsx";
import { useHashRoute } from "./app/hashLocation.ts";
import { Shell } from "./app/Shell.tsx";
import { NotFound } from "./app/NotFound.tsx";
import { ImportsProvider } from "./library/imports.tsx";
import { LibraryScreen } from "./library/LibraryScreen.tsx";
import { ProgressScreen } from "./progress/ProgressScreen.tsx";
import { NotesScreen } from "./notes/NotesScreen.tsx";
import { SettingsScreen } from "./settings/SettingsScreen.tsx";
import { SearchScreen } from "./study/SearchScreen.tsx";
import { CourseScreen } from "./study/CourseScreen.tsx";
import { LessonScreen } from "./study/LessonScreen.tsx";
import type { Preferences } from "./contract.ts";

export function App({ preferences }: { preferences: Preferences }) {
  return (
    <PreferencesProvider initial={preferences}>
      <Router hook={useHashRoute}>
        <ImportsProvider>
          <Shell>
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
              <Route>
                <NotFound />
              </Route>
            </Switch>
          </Shell>
        </ImportsProvider>
      </Router>
    </PreferencesProvider>
  );
}
