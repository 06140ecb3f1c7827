// The header's sync status: a link to the Sync screen whose icon (by its colour) and
// name (for screen readers and as a tooltip) say whether sync is fine, busy, offline or
// in trouble, with the number of results waiting on it.
import { Link, useLocation } from "wouter";
import { useTranslation } from "react-i18next";
import { useSyncState } from "./store.ts";
import { SyncIcon } from "./icons.tsx";
import "./sync.css";

export const SYNC_ROUTE = "/sync";

export function SyncIndicator() {
  const { t } = useTranslation("sync");
  const [path] = useLocation();
  const state = useSyncState();
  const phase = state?.phase ?? "signed_out";
  const waiting = state?.results_waiting ?? 0;
  const current = path === SYNC_ROUTE;
  // The name is what is shown, with the words around it for screen readers:
  // "Sync status: Synced, 1 result waiting".
  return (
    <Link
      href={SYNC_ROUTE}
      className={`sync-indicator sync-indicator--${phase}${current ? " sync-indicator--current" : ""}`}
      aria-current={current ? "page" : undefined}
      title={t(`indicator.short.${phase}`)}
    >
      <SyncIcon spinning={phase === "syncing"} />
      <span className="visually-hidden">{t("indicator.prefix")} </span>
      <span className="sync-indicator__text">{t(`indicator.short.${phase}`)}</span>
      {waiting > 0 && (
        <>
          <span className="visually-hidden">, </span>
          <span className="sync-indicator__count">{waiting}</span>
          <span className="visually-hidden"> {t("indicator.waiting", { count: waiting })}</span>
        </>
      )}
    </Link>
  );
}
