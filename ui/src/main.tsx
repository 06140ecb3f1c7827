import { StrictMode } from "react";
import { createRoot } from "react-dom/client";
import "./i18n.ts";
import { App } from "./App.tsx";
import { applyCachedPreferences, loadPreferences } from "./app/preferences.tsx";
import "./styles.css";

const root = document.getElementById("root");
if (!root) throw new Error("index.html has no #root element");

// Theme, text size, motion and language are on the root before React paints anything:
// first from the last run's copy, then from the profile.
applyCachedPreferences();
const { preferences, error } = await loadPreferences();

createRoot(root).render(
  <StrictMode>
    <App preferences={preferences} preferencesError={error} />
  </StrictMode>,
);
