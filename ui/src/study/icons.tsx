// Small line icons for the study screens (24×24, stroked with the text colour), and the
// lesson-kind badge. Icons are decorative: the control or text beside them names things.
import type { ReactNode } from "react";
import { useTranslation } from "react-i18next";
import type { LessonKind } from "../bindings.ts";

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
