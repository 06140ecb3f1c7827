// Small pieces the study screens share: a block of rendered Markdown, the learner's
// motion preference for scrolling, and video times.
import { useMemo, type MouseEvent } from "react";
import { renderInlineMarkdown, renderMarkdown, type MarkdownSource } from "./markdown.ts";

/**
 * Markdown rendered to sanitized HTML (see markdown.ts). Links to anchors in the same
 * text scroll to their heading, since the address's hash holds the route.
 */
export function Markdown({
  markdown,
  source,
  inline = false,
  className,
  id,
}: {
  markdown: string;
  source: MarkdownSource | null;
  inline?: boolean;
  className?: string;
  id?: string;
}) {
  const html = useMemo(
    () => (inline ? renderInlineMarkdown(markdown, source) : renderMarkdown(markdown, source)),
    [markdown, source, inline],
  );
  const onClick = (event: MouseEvent<HTMLElement>) => {
    const link = (event.target as Element).closest("a[data-anchor]");
    if (link === null) return;
    event.preventDefault();
    const target = document.getElementById(`md-${link.getAttribute("data-anchor") ?? ""}`);
    if (target === null) return;
    target.setAttribute("tabindex", "-1");
    target.scrollIntoView({ behavior: scrollBehavior(), block: "start" });
    target.focus({ preventScroll: true });
  };
  const Tag = inline ? "span" : "div";
  return (
    <Tag
      id={id}
      className={className === undefined ? "markdown" : `markdown ${className}`}
      onClick={onClick}
      // Sanitized by DOMPurify in markdown.ts.
      dangerouslySetInnerHTML={{ __html: html }}
    />
  );
}

/** Whether the learner asked for less motion, in the app's settings or the system's. */
function prefersReducedMotion(): boolean {
  const setting = document.documentElement.dataset.motion;
  if (setting === "reduce") return true;
  if (setting === "full") return false;
  return window.matchMedia("(prefers-reduced-motion: reduce)").matches;
}

export function scrollBehavior(): ScrollBehavior {
  return prefersReducedMotion() ? "auto" : "smooth";
}

/** 83 → "1:23"; 3725 → "1:02:05". */
export function clock(seconds: number): string {
  const whole = Math.max(0, Math.floor(seconds));
  const h = Math.floor(whole / 3600);
  const m = Math.floor((whole % 3600) / 60);
  const s = String(whole % 60).padStart(2, "0");
  return h > 0 ? `${h}:${String(m).padStart(2, "0")}:${s}` : `${m}:${s}`;
}
