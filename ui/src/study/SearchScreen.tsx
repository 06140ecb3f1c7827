// Search across every installed course: results appear while typing, each with its kind,
// title, course and a snippet with the matched words marked, and opens the lesson at the
// matching passage.
import { Fragment, useEffect, useMemo, useRef, useState, type FormEvent, type ReactNode } from "react";
import { useTranslation } from "react-i18next";
import { Link, useLocation } from "wouter";
import { announce } from "../app/announce.ts";
import { Failure } from "../app/states.tsx";
import { toUiError, type UiError } from "../ipc.ts";
import { unwrap } from "../app/useLoad.ts";
import { commands, type SearchHit } from "../bindings.ts";
import { withoutMarkdown } from "./find.ts";
import { ArticleIcon, QuizIcon } from "./icons.tsx";
import { courseRoute, lessonRoute, searchRoute, useQueryParam } from "./route.ts";
import "./study.css";

const LIMIT = 30;
const DEBOUNCE_MS = 200;

type Results =
  | { status: "idle" }
  | { status: "searching"; query: string; hits: SearchHit[] }
  | { status: "ready"; query: string; hits: SearchHit[] }
  | { status: "failed"; query: string; error: UiError };

export function SearchScreen() {
  const { t } = useTranslation("study");
  const [, navigate] = useLocation();
  const fromAddress = useQueryParam("q") ?? "";
  const [text, setText] = useState(fromAddress);
  const [results, setResults] = useState<Results>({ status: "idle" });
  const [attempt, setAttempt] = useState(0);
  const [courses, setCourses] = useState<Map<string, string>>(new Map());
  const input = useRef<HTMLInputElement>(null);

  // The header's search box navigates here with a new query: take it over.
  useEffect(() => setText((typed) => (typed.trim() === fromAddress.trim() ? typed : fromAddress)), [fromAddress]);

  useEffect(() => {
    let current = true;
    unwrap(commands.listCourses()).then(
      (list) => current && setCourses(new Map(list.map((c) => [c.id, c.title]))),
      () => undefined, // course names are a nicety here; hits still show
    );
    return () => {
      current = false;
    };
  }, []);

  useEffect(() => {
    const query = text.trim();
    if (query === "") {
      setResults({ status: "idle" });
      if (fromAddress !== "") navigate(searchRoute(""), { replace: true });
      return;
    }
    let current = true;
    setResults((previous) => ({ status: "searching", query, hits: "hits" in previous ? previous.hits : [] }));
    const timer = window.setTimeout(() => {
      // Keep the address in step, without a history entry per keystroke.
      if (query !== fromAddress.trim()) navigate(searchRoute(query), { replace: true });
      unwrap(commands.search(query, LIMIT)).then(
        (hits) => {
          if (!current) return;
          setResults({ status: "ready", query, hits });
          announce(hits.length === 0 ? t("search.none", { query }) : t("search.count", { count: hits.length, query }));
        },
        (error: unknown) => current && setResults({ status: "failed", query, error: toUiError(error) }),
      );
    }, DEBOUNCE_MS);
    return () => {
      current = false;
      window.clearTimeout(timer);
    };
  }, [text, attempt]);

  // Arriving without a query, the learner came to type one.
  useEffect(() => {
    if (fromAddress === "") input.current?.focus();
  }, []);

  // Enter goes to the first result, as results already appear while typing.
  const submit = (event: FormEvent) => {
    event.preventDefault();
    document.querySelector<HTMLAnchorElement>(".search-hit")?.focus();
  };

  const multipleCourses = useMemo(() => {
    if (!("hits" in results)) return false;
    return new Set(results.hits.map((h) => h.pack_id)).size > 1 || courses.size > 1;
  }, [results, courses]);

  return (
    <div className="screen study search">
      <h1 id="search-title" className="screen__title" tabIndex={-1}>
        {t("search.title")}
      </h1>
      <form role="search" aria-labelledby="search-title" className="search-form" onSubmit={submit}>
        <label htmlFor="search-input" className="field__label">
          {t("search.label")}
        </label>
        <input
          id="search-input"
          ref={input}
          type="search"
          className="study-input search-form__input"
          value={text}
          onChange={(event) => setText(event.target.value)}
          placeholder={t("search.placeholder")}
          autoComplete="off"
          spellCheck={false}
          aria-describedby="search-status"
        />
      </form>
      <p id="search-status" className="search__status">
        {results.status === "idle" && t("search.hint")}
        {results.status === "searching" && t("search.searching")}
        {results.status === "ready" &&
          (results.hits.length === 0
            ? t("search.none", { query: results.query })
            : t("search.count", { count: results.hits.length, query: results.query }))}
      </p>
      {results.status === "failed" && (
        <Failure title={t("search.failed")} error={results.error} onRetry={() => setAttempt((n) => n + 1)} />
      )}
      {"hits" in results && results.hits.length > 0 && (
        <ol className="search-results" aria-label={t("search.resultsLabel")} aria-busy={results.status === "searching"}>
          {results.hits.map((hit) => (
            <li key={`${hit.kind}:${hit.pack_id}:${hit.item_id}`}>
              <HitCard hit={hit} course={multipleCourses ? (courses.get(hit.pack_id) ?? hit.pack_id) : null} />
            </li>
          ))}
        </ol>
      )}
    </div>
  );
}

function HitCard({ hit, course }: { hit: SearchHit; course: string | null }) {
  const { t } = useTranslation("study");
  const href =
    hit.lesson_id === null
      ? courseRoute(hit.pack_id)
      : lessonRoute(hit.pack_id, hit.lesson_id, hit.passage, hit.kind === "question" ? hit.item_id : undefined);
  const title = hit.title !== "" ? hit.title : t("search.untitled");
  return (
    <Link href={href} className={`search-hit search-hit--${hit.kind}`}>
      <span className="search-hit__kind">
        {hit.kind === "question" ? <QuizIcon /> : <ArticleIcon />}
        {t(`search.kind.${hit.kind}`)}
        {course !== null && <span className="search-hit__course"> · {course}</span>}
      </span>
      <span className="visually-hidden">: </span>
      <span className="search-hit__title">{title}</span>
      <span className="visually-hidden">. </span>
      <span className="search-hit__snippet">{snippet(hit.snippet)}</span>
    </Link>
  );
}

/** "a \u0002raft\u0003 leader" → ["a ", <mark>raft</mark>, " leader"], with no HTML parsed. */
function snippet(text: string): ReactNode {
  const parts: ReactNode[] = [];
  // Cut from the lesson's Markdown source: shown as the text reads on the page.
  let rest = withoutMarkdown(text);
  let key = 0;
  while (rest.length > 0) {
    const start = rest.indexOf("\u0002");
    if (start < 0) {
      parts.push(rest);
      break;
    }
    const end = rest.indexOf("\u0003", start + 1);
    parts.push(rest.slice(0, start));
    const marked = end < 0 ? rest.slice(start + 1) : rest.slice(start + 1, end);
    parts.push(<mark key={key++}>{marked}</mark>);
    rest = end < 0 ? "" : rest.slice(end + 1);
  }
  return parts.map((part, index) => (typeof part === "string" ? <Fragment key={`t${index}`}>{part}</Fragment> : part));
}
