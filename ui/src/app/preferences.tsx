// The learner's display preferences: read once before the first render, applied to the
// document root (theme, motion, text size, language) and saved through the shell.
// A copy is kept in localStorage only so the next start can paint in the right theme
// before the shell has answered; the shell's profile stays the source of truth.
import { createContext, useCallback, useContext, useMemo, useRef, useState, type ReactNode } from "react";
import i18next, { systemLanguage, LANGUAGES, type Language } from "../i18n.ts";
import { commands, type Preferences as SavedPreferences } from "../bindings.ts";
import { toUiError, type UiError } from "../ipc.ts";

/** The preferences with every field present (the shell may leave out those never set). */
export type Preferences = Required<SavedPreferences>;

export const TEXT_SCALE = { min: 80, max: 200, step: 10, default: 100 } as const;

const CACHE_KEY = "studyhall.display";

/** From this text size on, the header scrolls away with the page. */
const LARGE_TEXT = 125;

/** What the app shows until the shell answers (and if it cannot). */
export const DEFAULT_PREFERENCES: Preferences = {
  theme: "system",
  text_scale: TEXT_SCALE.default,
  motion: "system",
  language: null,
  inbox_folder: "",
};

function complete(saved: SavedPreferences): Preferences {
  return {
    theme: saved.theme ?? DEFAULT_PREFERENCES.theme,
    text_scale: saved.text_scale ?? DEFAULT_PREFERENCES.text_scale,
    motion: saved.motion ?? DEFAULT_PREFERENCES.motion,
    language: saved.language ?? DEFAULT_PREFERENCES.language,
    inbox_folder: saved.inbox_folder ?? DEFAULT_PREFERENCES.inbox_folder,
  };
}

function clampScale(scale: number): number {
  if (!Number.isFinite(scale)) return TEXT_SCALE.default;
  return Math.min(TEXT_SCALE.max, Math.max(TEXT_SCALE.min, Math.round(scale)));
}

function uiLanguage(language: string | null): Language {
  return language !== null && Object.hasOwn(LANGUAGES, language) ? (language as Language) : systemLanguage();
}

/** Puts the preferences on the document root: data-theme, data-motion, font size, lang. */
export function applyPreferences(preferences: Preferences): void {
  const root = document.documentElement;
  if (preferences.theme === "system") delete root.dataset.theme;
  else root.dataset.theme = preferences.theme === "high_contrast" ? "high-contrast" : preferences.theme;
  if (preferences.motion === "system") delete root.dataset.motion;
  else root.dataset.motion = preferences.motion;
  const scale = clampScale(preferences.text_scale);
  root.style.fontSize = `${scale}%`;
  // Large text needs the room a header pinned to the top would take.
  root.toggleAttribute("data-large-text", scale >= LARGE_TEXT);
  const language = uiLanguage(preferences.language);
  root.lang = language;
  if (i18next.language !== language) void i18next.changeLanguage(language);
  try {
    localStorage.setItem(CACHE_KEY, JSON.stringify(preferences));
  } catch {
    // Storage can be unavailable; the shell still has the preferences.
  }
}

/** Applies the copy from the last run, synchronously, so the first paint is right. */
export function applyCachedPreferences(): void {
  try {
    const cached = localStorage.getItem(CACHE_KEY);
    if (cached !== null) applyPreferences(complete(JSON.parse(cached) as SavedPreferences));
  } catch {
    // A broken copy is ignored; the shell's answer replaces it a moment later.
  }
}

/** Asks the shell for the saved preferences and applies them; defaults if it cannot answer. */
export async function loadPreferences(): Promise<{ preferences: Preferences; error: UiError | null }> {
  let preferences = DEFAULT_PREFERENCES;
  let error: UiError | null = null;
  try {
    const result = await commands.preferences();
    if (result.status === "ok") preferences = complete(result.data);
    else error = toUiError(result.error);
  } catch (thrown) {
    error = toUiError(thrown);
  }
  applyPreferences(preferences);
  return { preferences, error };
}

type PreferencesContextValue = {
  preferences: Preferences;
  /** Why the saved preferences could not be read at start-up, until a change is saved. */
  loadError: UiError | null;
  /** Applies the change at once, then saves; if saving fails, the saved preferences come back. */
  save(change: Partial<Preferences>): Promise<UiError | null>;
  /** Applies the change at once without saving (for a slider while it moves). */
  preview(change: Partial<Preferences>): void;
};

const PreferencesContext = createContext<PreferencesContextValue | null>(null);

type ProviderProps = { initial: Preferences; loadError: UiError | null; children: ReactNode };

export function PreferencesProvider({ initial, loadError: initialLoadError, children }: ProviderProps) {
  const [shown, setShown] = useState(initial);
  const [loadError, setLoadError] = useState(initialLoadError);
  // The latest values, for changes that arrive before a re-render (a slider, then a click).
  const latest = useRef(initial);
  const saved = useRef(initial);

  const show = useCallback((next: Preferences) => {
    latest.current = next;
    setShown(next);
    applyPreferences(next);
  }, []);

  const preview = useCallback((change: Partial<Preferences>) => show({ ...latest.current, ...change }), [show]);

  const save = useCallback(
    async (change: Partial<Preferences>) => {
      const next = { ...latest.current, ...change };
      show(next);
      let error: UiError | null = null;
      try {
        const result = await commands.setPreferences(next);
        if (result.status === "error") error = toUiError(result.error);
      } catch (thrown) {
        error = toUiError(thrown);
      }
      if (error === null) {
        saved.current = next;
        setLoadError(null);
      } else {
        show(saved.current);
      }
      return error;
    },
    [show],
  );

  const value = useMemo(() => ({ preferences: shown, loadError, save, preview }), [shown, loadError, save, preview]);
  return <PreferencesContext value={value}>{children}</PreferencesContext>;
}

export function usePreferences(): PreferencesContextValue {
  const value = useContext(PreferencesContext);
  if (value === null) throw new Error("usePreferences needs a <PreferencesProvider>");
  return value;
}

/** Whether animations should be left out: the learner's choice, or the system's. */
export function useReducedMotion(): boolean {
  const { preferences } = usePreferences();
  if (preferences.motion !== "system") return preferences.motion === "reduce";
  return window.matchMedia("(prefers-reduced-motion: reduce)").matches;
}
