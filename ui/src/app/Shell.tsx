// The frame around every screen: skip link, header with the primary navigation and the
// search box, the main landmark, and the overlay shown while files are dragged in.
import { useEffect, useRef, useState, type FormEvent, type MouseEvent, type ReactNode } from "react";
import { Link, useLocation, useSearch } from "wouter";
import { useTranslation } from "react-i18next";
import { Announcer } from "./Announcer.tsx";
import { Logo } from "./Logo.tsx";
import { ImportIcon, LibraryIcon, NotesIcon, ProgressIcon, SearchIcon, SettingsIcon } from "./icons.tsx";
import { useScreenFocus } from "./useScreenFocus.ts";
import { ErrorBoundary } from "./ErrorBoundary.tsx";
import { ExamIcon } from "../exam/icons.tsx";
import { useImports } from "../library/imports.tsx";
import { SyncIndicator } from "../sync/SyncIndicator.tsx";

const NAVIGATION = [
  { href: "/", key: "library", Icon: LibraryIcon },
  { href: "/exams", key: "exams", Icon: ExamIcon },
  { href: "/progress", key: "progress", Icon: ProgressIcon },
  { href: "/notes", key: "notes", Icon: NotesIcon },
  { href: "/settings", key: "settings", Icon: SettingsIcon },
] as const;

export function Shell({ children }: { children: ReactNode }) {
  const { t } = useTranslation();
  const [path] = useLocation();
  const main = useRef<HTMLElement>(null);
  useScreenFocus(path, main);

  // The hash holds the route, so the skip link moves focus itself instead of navigating.
  const skipToMain = (event: MouseEvent) => {
    event.preventDefault();
    main.current?.focus();
  };

  return (
    <>
      <a className="skip-link" href="#main" onClick={skipToMain}>
        {t("app.skipToContent")}
      </a>
      <header className="app-header">
        <div className="app-header__inner">
          <Link href="/" className="brand" aria-label={t("app.homeLabel")}>
            <Logo />
            <span className="brand__name">{t("app.name")}</span>
          </Link>
          <nav className="primary-nav" aria-label={t("nav.label")}>
            <ul>
              {NAVIGATION.map(({ href, key, Icon }) => {
                const current = path === href;
                const within =
                  current ||
                  (href === "/" && path.startsWith("/course/")) ||
                  (href === "/exams" && path.startsWith("/exam/"));
                return (
                  <li key={key}>
                    <Link
                      href={href}
                      className={within ? "primary-nav__link primary-nav__link--active" : "primary-nav__link"}
                      aria-current={current ? "page" : undefined}
                    >
                      <Icon />
                      <span>{t(`nav.${key}`)}</span>
                    </Link>
                  </li>
                );
              })}
            </ul>
          </nav>
          <SearchBox />
          <SyncIndicator />
        </div>
      </header>
      <main id="main" ref={main} className="app-main" tabIndex={-1}>
        {/* A new screen starts afresh, even after the previous one failed. */}
        <ErrorBoundary key={path}>{children}</ErrorBoundary>
      </main>
      <DropOverlay />
      <Announcer />
    </>
  );
}

/** Searches all courses: Enter goes to the search screen. "/" or Ctrl+K focuses it. */
function SearchBox() {
  const { t } = useTranslation();
  const [path, navigate] = useLocation();
  const search = useSearch();
  const input = useRef<HTMLInputElement>(null);
  const onSearchScreen = path === "/search";
  const [query, setQuery] = useState(() => (onSearchScreen ? (new URLSearchParams(search).get("q") ?? "") : ""));

  // The box shows the search screen's query, and empties when the learner moves on.
  useEffect(() => {
    setQuery(onSearchScreen ? (new URLSearchParams(search).get("q") ?? "") : "");
  }, [onSearchScreen, search]);

  useEffect(() => {
    const onKey = (event: KeyboardEvent) => {
      const target = event.target as HTMLElement | null;
      const typing = target !== null && (target.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName));
      const ctrlK = (event.ctrlKey || event.metaKey) && event.key.toLowerCase() === "k";
      if (ctrlK || (event.key === "/" && !typing && !event.ctrlKey && !event.metaKey && !event.altKey)) {
        event.preventDefault();
        input.current?.focus();
        input.current?.select();
      }
    };
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, []);

  const submit = (event: FormEvent) => {
    event.preventDefault();
    const trimmed = query.trim();
    if (trimmed.length === 0) return;
    navigate(`/search?${new URLSearchParams({ q: trimmed }).toString()}`);
  };

  return (
    <form role="search" className="search-box" onSubmit={submit}>
      <label htmlFor="header-search" className="visually-hidden">
        {t("search.label")}
      </label>
      <SearchIcon />
      <input
        id="header-search"
        ref={input}
        type="search"
        className="search-box__input"
        placeholder={t("search.placeholder")}
        value={query}
        onChange={(event) => setQuery(event.target.value)}
        aria-keyshortcuts="/ Control+K"
        autoComplete="off"
        spellCheck={false}
      />
      <kbd className="search-box__hint" aria-hidden="true">/</kbd>
    </form>
  );
}

function DropOverlay() {
  const { t } = useTranslation("library");
  const { dragging } = useImports();
  if (dragging === null) return null;
  const packs = dragging === "packs";
  return (
    <div className="drop-overlay" aria-hidden="true">
      <div className={packs ? "drop-overlay__card" : "drop-overlay__card drop-overlay__card--refused"}>
        <ImportIcon />
        <p className="drop-overlay__title">{packs ? t("drop.title") : t("drop.notPacksTitle")}</p>
        <p className="drop-overlay__text">{packs ? t("drop.text") : t("import.notAPack")}</p>
      </div>
    </div>
  );
}
