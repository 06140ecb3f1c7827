// Settings: how Studyhall looks (theme, text size, motion), its language, and the inbox
// folder it watches for new course packs. Every change applies at once and is saved.
import { useEffect, useId, useRef, useState, type ReactNode } from "react";
import { useTranslation } from "react-i18next";
import { open } from "@tauri-apps/plugin-dialog";
import { TEXT_SCALE, usePreferences } from "../app/preferences.tsx";
import { announce } from "../app/announce.ts";
import { FolderIcon } from "../app/icons.tsx";
import { LANGUAGES, systemLanguage } from "../i18n.ts";
import { percent } from "../format.ts";
import { toUiError, type UiError } from "../ipc.ts";
import type { Preferences } from "../app/preferences.tsx";

const THEMES: Preferences["theme"][] = ["system", "light", "dark", "high_contrast"];
const MOTIONS: Preferences["motion"][] = ["system", "reduce", "full"];
/** How long the text size slider must rest before the new size is saved. */
const SAVE_DELAY_MS = 600;

export function SettingsScreen() {
  const { t } = useTranslation("settings");
  const { preferences, loadError, save, preview } = usePreferences();
  const [error, setError] = useState<UiError | null>(null);
  const pendingScale = useRef<number | undefined>(undefined);

  const change = async (patch: Partial<Preferences>) => {
    const failure = await save(patch);
    setError(failure);
    if (failure === null) announce(t("saved"));
  };

  const changeScale = (scale: number) => {
    preview({ text_scale: scale });
    window.clearTimeout(pendingScale.current);
    pendingScale.current = window.setTimeout(() => void change({ text_scale: scale }), SAVE_DELAY_MS);
  };
  useEffect(() => () => window.clearTimeout(pendingScale.current), []);

  const chooseInbox = async () => {
    try {
      const folder = await open({
        directory: true,
        title: t("inbox.dialogTitle"),
        ...(preferences.inbox_folder === "" ? {} : { defaultPath: preferences.inbox_folder }),
      });
      if (typeof folder === "string") await change({ inbox_folder: folder });
    } catch (thrown) {
      setError(toUiError(thrown));
    }
  };

  return (
    <div className="screen screen--narrow">
      <header className="screen__header">
        <h1 className="screen__title">{t("title")}</h1>
        <p className="screen__lead">{t("lead")}</p>
      </header>

      {loadError !== null && error === null && (
        <div className="panel panel--error" role="alert">
          <h2 className="panel__title">{t("loadFailed")}</h2>
          <p className="panel__text">{loadError.message}</p>
        </div>
      )}
      {error !== null && (
        <div className="panel panel--error" role="alert">
          <h2 className="panel__title">{t("failed")}</h2>
          <p className="panel__text">{error.message}</p>
        </div>
      )}

      <Section title={t("appearance.title")}>
        <Choices
          legend={t("theme.legend")}
          name="theme"
          value={preferences.theme}
          options={THEMES}
          label={(theme) => t(`theme.${theme}`)}
          decorate={(theme) => <ThemeSwatch theme={theme} />}
          variant="cards"
          onChange={(theme) => void change({ theme })}
        />
        <TextSize value={preferences.text_scale} onChange={changeScale} />
        <Choices
          legend={t("motion.legend")}
          hint={t("motion.hint")}
          name="motion"
          value={preferences.motion}
          options={MOTIONS}
          label={(motion) => t(`motion.${motion}`)}
          onChange={(motion) => void change({ motion })}
        />
      </Section>

      <Section title={t("language.title")}>
        <Choices
          legend={t("language.legend")}
          name="language"
          value={preferences.language ?? "system"}
          options={["system", ...Object.keys(LANGUAGES)]}
          label={(language) =>
            language === "system"
              ? t("language.system", { language: LANGUAGES[systemLanguage()] })
              : LANGUAGES[language as keyof typeof LANGUAGES]
          }
          labelLanguage={(language) => (language === "system" ? undefined : language)}
          onChange={(language) => void change({ language: language === "system" ? null : language })}
        />
      </Section>

      <Section title={t("inbox.title")}>
        <p className="field__hint" id="inbox-hint">
          {t("inbox.hint")}
        </p>
        <div className="inbox">
          <FolderIcon />
          <code className="inbox__path" aria-describedby="inbox-hint">
            {preferences.inbox_folder || t("inbox.none")}
          </code>
          <button type="button" className="button button--secondary" onClick={() => void chooseInbox()}>
            {t("inbox.change")}
          </button>
        </div>
      </Section>
    </div>
  );
}

function Section({ title, children }: { title: string; children: ReactNode }) {
  const id = useId();
  return (
    <section className="card settings-section" aria-labelledby={id}>
      <h2 id={id} className="card__title">
        {title}
      </h2>
      {children}
    </section>
  );
}

type ChoicesProps<T extends string> = {
  legend: string;
  hint?: string;
  name: string;
  value: T;
  options: readonly T[];
  label(option: T): string;
  labelLanguage?(option: T): string | undefined;
  decorate?(option: T): ReactNode;
  variant?: "list" | "cards";
  onChange(option: T): void;
};

/** A group of radio buttons: arrow keys move between them, as everywhere else. */
function Choices<T extends string>(props: ChoicesProps<T>) {
  const { legend, hint, name, value, options, label, labelLanguage, decorate, variant = "list", onChange } = props;
  const hintId = useId();
  return (
    <fieldset className="field" aria-describedby={hint === undefined ? undefined : hintId}>
      <legend className="field__label">{legend}</legend>
      {hint !== undefined && (
        <p className="field__hint" id={hintId}>
          {hint}
        </p>
      )}
      <div className={`choices choices--${variant}`}>
        {options.map((option) => (
          <label key={option} className="choice" lang={labelLanguage?.(option)}>
            <input
              type="radio"
              name={name}
              value={option}
              checked={option === value}
              onChange={() => onChange(option)}
              className="choice__input"
            />
            {decorate?.(option)}
            <span className="choice__label">{label(option)}</span>
          </label>
        ))}
      </div>
    </fieldset>
  );
}

/** A small picture of a theme: its background, a card and the accent colour. */
function ThemeSwatch({ theme }: { theme: Preferences["theme"] }) {
  return (
    <span className={`swatch swatch--${theme}`} aria-hidden="true">
      <span className="swatch__card">
        <span className="swatch__line" />
        <span className="swatch__line swatch__line--short" />
        <span className="swatch__accent" />
      </span>
    </span>
  );
}

function TextSize({ value, onChange }: { value: number; onChange(scale: number): void }) {
  const { t } = useTranslation("settings");
  const id = useId();
  const step = (delta: number) =>
    onChange(Math.min(TEXT_SCALE.max, Math.max(TEXT_SCALE.min, value + delta)));
  return (
    <div className="field">
      <label className="field__label" htmlFor={id}>
        {t("textSize.label")}
      </label>
      <p className="field__hint">{t("textSize.hint")}</p>
      <div className="text-size">
        <button
          type="button"
          className="icon-button"
          onClick={() => step(-TEXT_SCALE.step)}
          disabled={value <= TEXT_SCALE.min}
          aria-label={t("textSize.smaller")}
        >
          <span aria-hidden="true" className="text-size__glyph text-size__glyph--small">A</span>
        </button>
        <input
          id={id}
          type="range"
          className="text-size__slider"
          min={TEXT_SCALE.min}
          max={TEXT_SCALE.max}
          step={TEXT_SCALE.step}
          value={value}
          aria-valuetext={percent(value)}
          onChange={(event) => onChange(Number(event.target.value))}
        />
        <button
          type="button"
          className="icon-button"
          onClick={() => step(TEXT_SCALE.step)}
          disabled={value >= TEXT_SCALE.max}
          aria-label={t("textSize.larger")}
        >
          <span aria-hidden="true" className="text-size__glyph">A</span>
        </button>
        <output htmlFor={id} className="text-size__value">
          {percent(value)}
        </output>
        <button
          type="button"
          className="button button--ghost"
          onClick={() => onChange(TEXT_SCALE.default)}
          disabled={value === TEXT_SCALE.default}
        >
          {t("textSize.reset")}
        </button>
      </div>
      <p className="text-size__sample">{t("textSize.sample")}</p>
    </div>
  );
}
