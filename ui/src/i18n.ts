// Translations: every string a component shows comes from here. Each feature keeps its
// strings in `locales/<language>/<namespace>.json`; files are picked up automatically,
// so a new namespace or language needs no change in this file.
import i18next from "i18next";
import { initReactI18next } from "react-i18next";

type Messages = Record<string, unknown>;

const files = import.meta.glob<Messages>("./locales/*/*.json", { eager: true, import: "default" });

const resources: Record<string, Record<string, Messages>> = {};
for (const [path, messages] of Object.entries(files)) {
  const match = /\.\/locales\/([^/]+)\/([^/]+)\.json$/.exec(path);
  if (!match) continue;
  const [, language, namespace] = match as unknown as [string, string, string];
  (resources[language] ??= {})[namespace] = messages;
}

/** The languages the UI is translated into, by their own name. */
export const LANGUAGES = { en: "English", de: "Deutsch" } as const;
export type Language = keyof typeof LANGUAGES;

/** The system's language if the UI has it, else English. */
export function systemLanguage(): Language {
  for (const tag of navigator.languages) {
    const base = tag.split("-")[0];
    if (base !== undefined && Object.hasOwn(LANGUAGES, base)) return base as Language;
  }
  return "en";
}

void i18next.use(initReactI18next).init({
  resources,
  lng: systemLanguage(),
  fallbackLng: "en",
  defaultNS: "common",
  interpolation: { escapeValue: false }, // React escapes.
  returnNull: false,
});

export default i18next;
