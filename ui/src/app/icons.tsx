// Small line icons (24×24, stroked with the text colour). Always decorative: the
// control that holds one has its own text or label.
import type { ReactNode } from "react";

function Icon({ children }: { children: ReactNode }) {
  return (
    <svg className="icon" viewBox="0 0 24 24" aria-hidden="true" focusable="false">
      {children}
    </svg>
  );
}

export const LibraryIcon = () => (
  <Icon>
    <path d="M4 5.5C6.5 4.6 9.3 4.8 12 6.5v13c-2.7-1.7-5.5-1.9-8-1z" />
    <path d="M20 5.5c-2.5-.9-5.3-.7-8 1v13c2.7-1.7 5.5-1.9 8-1z" />
  </Icon>
);
export const ProgressIcon = () => (
  <Icon>
    <path d="M4 20V10M10 20V4M16 20v-7M22 20H2" />
  </Icon>
);
export const NotesIcon = () => (
  <Icon>
    <path d="M6 3h9l4 4v14H6z" />
    <path d="M15 3v4h4M9 12h7M9 16h5" />
  </Icon>
);
export const SettingsIcon = () => (
  <Icon>
    <circle cx="12" cy="12" r="3" />
    <path d="M12 2.5v3M12 18.5v3M2.5 12h3M18.5 12h3M5.3 5.3l2.1 2.1M16.6 16.6l2.1 2.1M5.3 18.7l2.1-2.1M16.6 7.4l2.1-2.1" />
  </Icon>
);
export const SearchIcon = () => (
  <Icon>
    <circle cx="11" cy="11" r="6.5" />
    <path d="M16 16l5 5" />
  </Icon>
);
export const ImportIcon = () => (
  <Icon>
    <path d="M12 3v12M7 10l5 5 5-5" />
    <path d="M4 17v3h16v-3" />
  </Icon>
);
export const FlameIcon = () => (
  <Icon>
    <path d="M12 21c-3.9 0-6.5-2.6-6.5-6.2 0-3.3 2.4-5.3 3.7-8.3.5 2 1.6 3 2.6 3.4C12 7 13 4.5 15.3 3c-.4 3 3.2 5.6 3.2 11.3C18.5 18.3 15.9 21 12 21z" />
  </Icon>
);
export const TrophyIcon = () => (
  <Icon>
    <path d="M7 4h10v5a5 5 0 0 1-10 0z" />
    <path d="M7 6H4v1.5A3.5 3.5 0 0 0 7.5 11M17 6h3v1.5a3.5 3.5 0 0 1-3.5 3.5M12 14v4M8 21h8M9 18h6" />
  </Icon>
);
export const CheckIcon = () => (
  <Icon>
    <path d="M5 12.5l4.5 4.5L19 7.5" />
  </Icon>
);
export const BookmarkIcon = () => (
  <Icon>
    <path d="M6 3h12v18l-6-4.5L6 21z" />
  </Icon>
);
export const CloseIcon = () => (
  <Icon>
    <path d="M6 6l12 12M18 6L6 18" />
  </Icon>
);
export const FolderIcon = () => (
  <Icon>
    <path d="M3 6.5h6l2 2h10V19H3z" />
  </Icon>
);
