// Routes of the study screens and their query parameters. The query lives in the hash
// (`#/search?q=raft`); the page's own query (`?q=raft#/search`, where wouter's stock
// hash hook would put it) is read as a fallback.
import { useSyncExternalStore } from "react";

export function courseRoute(packId: string): string {
  return `/course/${encodeURIComponent(packId)}`;
}

/**
 * A lesson. `find` is a passage to scroll to and highlight; `question` the quiz question
 * it comes from, shown instead when the passage is in its (still hidden) explanation.
 */
export function lessonRoute(packId: string, lessonId: string, find?: string, question?: string): string {
  const base = `${courseRoute(packId)}/lesson/${encodeURIComponent(lessonId)}`;
  if (find === undefined || find === "") return base;
  const query = new URLSearchParams({ find });
  if (question !== undefined) query.set("question", question);
  return `${base}?${query.toString()}`;
}

export function searchRoute(query: string): string {
  return query === "" ? "/search" : `/search?q=${encodeURIComponent(query)}`;
}

function readParam(name: string): string | null {
  const hash = window.location.hash;
  const at = hash.indexOf("?");
  if (at >= 0) {
    const value = new URLSearchParams(hash.slice(at + 1)).get(name);
    if (value !== null) return value;
  }
  return new URLSearchParams(window.location.search).get(name);
}

function subscribe(callback: () => void): () => void {
  window.addEventListener("hashchange", callback);
  window.addEventListener("popstate", callback);
  return () => {
    window.removeEventListener("hashchange", callback);
    window.removeEventListener("popstate", callback);
  };
}

/** A query parameter of the current address, kept up to date. */
export function useQueryParam(name: string): string | null {
  return useSyncExternalStore(
    subscribe,
    () => readParam(name),
    () => null,
  );
}
