// What the imports are doing: a progress bar while one runs, then one notice per
// finished import (success or the backend's reason for refusing), each dismissible.
import { useTranslation } from "react-i18next";
import { useImports, type ImportResult } from "./imports.tsx";
import { CheckIcon, CloseIcon } from "../app/icons.tsx";
import { ProgressBar } from "../app/states.tsx";
import { percent } from "../format.ts";

export function ImportStatus() {
  const { t } = useTranslation("library");
  const { running, results, dismiss } = useImports();
  if (running === null && results.length === 0) return null;

  const progress = running?.progress ?? null;
  const total = progress?.total ?? 0;
  // Until the shell reports how many bytes there are, the bar only shows that work goes on.
  const measured = total > 0;
  const share = measured ? ((progress?.done ?? 0) / total) * 100 : 0;
  const phase = progress === null ? t("import.preparing") : t(`import.phase.${progress.phase}`, { defaultValue: t("import.working") });

  return (
    <div className="import-status">
      {running !== null && (
        <div className="panel panel--progress" aria-busy="true">
          <p className="panel__title">{t("import.running", { file: running.file })}</p>
          <div className="import-status__row">
            <ProgressBar
              value={measured ? Math.round(share) : null}
              max={100}
              label={t("import.progressLabel", { file: running.file })}
              text={measured ? `${phase} ${percent(share)}` : phase}
            />
            {measured && <span className="import-status__percent">{percent(share)}</span>}
          </div>
          <p className="panel__text">
            {phase}
            {running.queued > 0 && ` · ${t("import.queued", { count: running.queued })}`}
          </p>
        </div>
      )}
      {results.map((result) => (
        <ResultNotice key={result.id} result={result} onDismiss={() => dismiss(result.id)} />
      ))}
    </div>
  );
}

function ResultNotice({ result, onDismiss }: { result: ImportResult; onDismiss(): void }) {
  const { t } = useTranslation("library");
  const failed = "error" in result;
  const source = result.source === "inbox" ? t("import.fromInbox") : null;
  return (
    <div className={failed ? "panel panel--error panel--dismissible" : "panel panel--success panel--dismissible"}>
      {!failed && (
        <span className="panel__icon">
          <CheckIcon />
        </span>
      )}
      <div className="panel__body">
        {source !== null && <p className="panel__eyebrow">{source}</p>}
        <h2 className="panel__title">
          {failed
            ? result.file === ""
              ? t("import.failedTitleNoFile")
              : t("import.failedTitle", { file: result.file })
            : t(`import.${result.outcome.outcome}`, { file: result.file, ...result.outcome })}
        </h2>
        {failed && (
          <>
            <p className="panel__text">{result.error.message}</p>
            <p className="panel__text panel__text--muted">{t("import.unchangedLibrary")}</p>
          </>
        )}
      </div>
      <button type="button" className="icon-button" onClick={onDismiss} aria-label={t("import.dismiss")}>
        <CloseIcon />
      </button>
    </div>
  );
}
