// The loading and failure states every screen shares.
import { useTranslation } from "react-i18next";
import type { UiError } from "../ipc.ts";

export function Loading({ label }: { label: string }) {
  return (
    <div className="loading" role="status">
      <span className="loading__spinner" aria-hidden="true" />
      <span>{label}</span>
    </div>
  );
}

export function Failure({ title, error, onRetry }: { title: string; error: UiError; onRetry?: () => void }) {
  const { t } = useTranslation();
  return (
    <div className="panel panel--error" role="alert">
      <h2 className="panel__title">{title}</h2>
      <p className="panel__text">{error.message}</p>
      {onRetry !== undefined && (
        <button type="button" className="button button--secondary" onClick={onRetry}>
          {t("actions.retry")}
        </button>
      )}
    </div>
  );
}

/**
 * A horizontal bar for a share of something done; the label names what it measures.
 * Without a value it shows that work is going on, without saying how much is left.
 */
export function ProgressBar({ value, max, label, text }: { value: number | null; max: number; label: string; text: string }) {
  const share = value !== null && max > 0 ? Math.min(1, Math.max(0, value / max)) : 0;
  return (
    <div
      className={value === null ? "progress-bar progress-bar--indeterminate" : "progress-bar"}
      role="progressbar"
      aria-label={label}
      aria-valuemin={0}
      aria-valuemax={max}
      aria-valuenow={value ?? undefined}
      aria-valuetext={text}
    >
      <div className="progress-bar__fill" style={value === null ? undefined : { width: `${share * 100}%` }} />
    </div>
  );
}
