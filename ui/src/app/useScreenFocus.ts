// After a navigation, focus moves to the new screen's h1 and the window title follows
// it, so screen reader and keyboard users start at the top of what they asked for.
import { useEffect, useRef, type RefObject } from "react";
import { useTranslation } from "react-i18next";

/** How long to wait for a screen that renders its h1 only once its data is in. */
const WAIT_FOR_HEADING_MS = 3000;

export function useScreenFocus(path: string, main: RefObject<HTMLElement | null>): void {
  const { t } = useTranslation();
  const first = useRef(true);

  useEffect(() => {
    const container = main.current;
    if (container === null) return;
    const moveFocus = !first.current;
    first.current = false;

    const settle = (): boolean => {
      // The visible one: while a screen's code loads, Suspense keeps the previous screen
      // in the DOM, hidden.
      const heading = Array.from(container.querySelectorAll("h1")).find((h1) => h1.getClientRects().length > 0);
      if (heading === undefined) return false;
      document.title = t("app.windowTitle", { screen: heading.textContent ?? "" });
      const active = document.activeElement;
      const focusTaken = active !== null && active !== document.body && container.contains(active);
      if (moveFocus && !focusTaken) {
        if (!heading.hasAttribute("tabindex")) heading.setAttribute("tabindex", "-1");
        heading.focus({ preventScroll: false });
      }
      return true;
    };

    if (settle()) return;
    const observer = new MutationObserver(() => {
      if (settle()) observer.disconnect();
    });
    observer.observe(container, { childList: true, subtree: true, attributes: true, attributeFilter: ["style"] });
    const timeout = window.setTimeout(() => observer.disconnect(), WAIT_FOR_HEADING_MS);
    return () => {
      observer.disconnect();
      window.clearTimeout(timeout);
    };
  }, [path, main, t]);
}
