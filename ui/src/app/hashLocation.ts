// Routing in the URL's hash, query included: `#/search?q=fractions`. wouter's own hash
// hook puts the query before the `#`, where it outlives the screen it belongs to; here
// the whole route, path and query, lives in the hash, as the UI contract describes.
// `useSearch()`/`useSearchParams()` from wouter read the hash's query through `searchHook`.
import { useSyncExternalStore } from "react";

function subscribe(callback: () => void): () => void {
  addEventListener("hashchange", callback);
  return () => removeEventListener("hashchange", callback);
}

/** The hash without its `#`, always starting with "/". */
function route(): string {
  return "/" + location.hash.replace(/^#?\/?/, "");
}

function currentPath(): string {
  return route().split("?")[0] ?? "/";
}

function currentSearch(): string {
  const query = route().indexOf("?");
  return query === -1 ? "" : route().slice(query + 1);
}

/** Goes to `to` ("/path?query"), adding a history entry unless `replace`. */
export function navigate(to: string, { replace = false }: { replace?: boolean; state?: unknown } = {}): void {
  const oldURL = location.href;
  const url = new URL(oldURL);
  url.hash = "/" + to.replace(/^#?\/?/, "");
  history[replace ? "replaceState" : "pushState"](null, "", url.href);
  dispatchEvent(new HashChangeEvent("hashchange", { oldURL, newURL: url.href }));
}

export function useHashRoute(): [string, typeof navigate] {
  return [useSyncExternalStore(subscribe, currentPath), navigate];
}
useHashRoute.hrefs = (href: string) => "#" + href;
useHashRoute.searchHook = () => useSyncExternalStore(subscribe, currentSearch);
