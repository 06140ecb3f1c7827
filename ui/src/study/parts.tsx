// Small pieces the study screens share: line icons, the lesson-kind badge, and a block of
// rendered Markdown.
import { useMemo, type MouseEvent, type ReactNode } from "react";
import { useTranslation } from "react-i18next";
import type { LessonKind } from "../bindings.ts";
import { renderInlineMarkdown, renderMarkdown, type MarkdownSource } from "./markdown.ts";

function Icon({ children }: { children: ReactNode }) {
  return (
    <svg className="icon" viewBox="0 0 24 24" aria-hidden="true" focusable="false">
      {children}
    </svg>
  );
}

export const ArticleIcon = () => (
  <Icon>
    <path d="M6 3h9l4 4v14H6z" />
    <path d="M9 11h7M9 14.5h7M9 18h4" />
  </Icon>
);
export const VideoIcon = () => (
  <Icon>
    <rect x="3" y="5" width="18" height="14" rx="2.5" />
    <path d="M10 9.2v5.6l4.8-2.8z" />
  </Icon>
);
export const QuizIcon = () => (
  <Icon>
    <path d="M4 6.5l1.6 1.6L8.5 5M4 13.5l1.6 1.6 2.9-3.1" />
    <path d="M11.5 7h8.5M11.5 14h8.5M4 19.5h16" />
  </Icon>
);
export const CheckIcon = () => (
  <Icon>
    <path d="M5 12.5l4.2 4.2L19 7" />
  </Icon>
);
export const BookmarkIcon = () => (
  <Icon>
    <path d="M6 3h12v18l-6-4.5L6 21z" />
  </Icon>
);
export const ArrowLeftIcon = () => (
  <Icon>
    <path d="M19 12H5M11 6l-6 6 6 6" />
  </Icon>
);
export const ArrowRightIcon = () => (
  <Icon>
    <path d="M5 12h14M13 6l6 6-6 6" />
  </Icon>
);
export const ArrowUpIcon = () => (
  <Icon>
    <path d="M12 19V5M6 11l6-6 6 6" />
  </Icon>
);
export const ArrowDownIcon = () => (
  <Icon>
    <path d="M12 5v14M6 13l6 6 6-6" />
  </Icon>
);
export const NoteIcon = () => (
  <Icon>
    <path d="M4 20l1-4.5L16 4.5l3.5 3.5-11 11z" />
    <path d="M13.5 7l3.5 3.5" />
  </Icon>
);

const KIND_ICONS: Record<LessonKind, () => ReactNode> = {
  article: ArticleIcon,
  video: VideoIcon,
  quiz: QuizIcon,
};

/** The icon of a lesson kind with its name for screen readers. */
export function KindIcon({ kind }: { kind: LessonKind }) {
  const { t } = useTranslation("study");
  const Glyph = KIND_ICONS[kind];
  return (
    <span className={`kind-icon kind-icon--${kind}`}>
      <Glyph />
      <span className="visually-hidden">{t(`kind.${kind}`)}</span>
    </span>
  );
}

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
