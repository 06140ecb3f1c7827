// The lobby of an unlocked exam: its rules in plain words, this computer's check
// (warnings in amber, problems that stop the start in red) and the Start button, which
// starts the clock and locks the window.
import { useState } from "react";
import { useTranslation } from "react-i18next";
import { Link } from "wouter";
import { commands, type ExamPaper, type ExamSummary, type SystemCheck } from "../bindings.ts";
import { percent, timeSpent } from "../format.ts";
import { toUiError } from "../ipc.ts";
import i18next from "../i18n.ts";
import { useLoad, unwrap } from "../app/useLoad.ts";
import { Failure, Loading } from "../app/states.tsx";
import { announce } from "../app/announce.ts";
import { CheckIcon } from "../app/icons.tsx";
import { ClockIcon, LockIcon, PauseIcon, ShieldIcon, WarningIcon } from "./icons.tsx";
import { EXAMS_ROUTE } from "./route.ts";
import { sentence } from "./text.ts";

/** MiB as the language writes them: "12.5 GB", "640 MB". */
function diskSpace(mebibytes: number): string {
  const bytes = mebibytes * 2 ** 20;
  const [value, unit] = bytes >= 1e9 ? [bytes / 1e9, "gigabyte"] : [bytes / 1e6, "megabyte"];
  return new Intl.NumberFormat(i18next.language, { style: "unit", unit, maximumFractionDigits: 1 }).format(value);
}

type Props = { paper: ExamPaper; exam: ExamSummary | null; onStarted(paper: ExamPaper): void };

export function Lobby({ paper, exam, onStarted }: Props) {
  const { t } = useTranslation("exam");
  const [check, recheck] = useLoad(() => unwrap(commands.examSystemCheck()), paper.session.session_id);
  const [starting, setStarting] = useState(false);
  const [problem, setProblem] = useState<string | null>(null);
  const blocked = check.status === "ready" && check.data.blocking.length > 0;

  const start = async () => {
    setStarting(true);
    setProblem(null);
    try {
      const started = await unwrap(commands.startExam(paper.session.session_id));
      announce(t("lobby.started"));
      onStarted(started);
    } catch (error) {
      setProblem(sentence(toUiError(error).message));
      setStarting(false);
      recheck();
    }
  };

  const items = paper.sections.reduce((sum, section) => sum + section.items.length, 0);
  const limitMs = paper.session.timer.limit_ms;
  const baseMinutes = exam?.time_limit_minutes ?? null;
  const extraMinutes = limitMs !== null && baseMinutes !== null ? Math.round(limitMs / 60_000) - baseMinutes : 0;

  return (
    <div className="screen screen--narrow exam-lobby">
      <header>
        <p className="panel__eyebrow">{t("lobby.eyebrow")}</p>
        <h1 className="screen__title">{paper.title}</h1>
        <p className="screen__lead">{t("lobby.lead")}</p>
      </header>

      <section className="card" aria-labelledby="lobby-rules">
        <h2 id="lobby-rules" className="card__title">
          {t("lobby.rules.title")}
        </h2>
        <ul className="exam-rules">
          <li>
            <ClockIcon />
            <span>
              {limitMs === null
                ? t("lobby.rules.untimed")
                : extraMinutes > 0
                  ? t("lobby.rules.timeWithExtra", { time: timeSpent(limitMs / 1000), extra: timeSpent(extraMinutes * 60) })
                  : t("lobby.rules.time", { time: timeSpent(limitMs / 1000) })}
            </span>
          </li>
          <li>
            <CheckIcon />
            <span>
              {t("lobby.rules.items", {
                items: t("card.itemCount", { count: items }),
                sections: t("card.sectionCount", { count: paper.sections.length }),
              })}{" "}
              {paper.sections.map((section) => t("lobby.rules.section", { title: section.title, count: section.items.length })).join(", ")}
            </span>
          </li>
          <li>
            <CheckIcon />
            <span>{t("lobby.rules.cutScore", { percent: percent(paper.cut_score_percent) })}</span>
          </li>
          <li>
            <PauseIcon />
            <span>
              {paper.session.timer.break_left_ms === null
                ? t("lobby.rules.noBreaks")
                : t("lobby.rules.breaks", { time: timeSpent(paper.session.timer.break_left_ms / 1000) })}
            </span>
          </li>
          {paper.feedback === "immediate" && (
            <li>
              <CheckIcon />
              <span>{t("lobby.rules.practice")}</span>
            </li>
          )}
          <li>
            <CheckIcon />
            <span>{t("lobby.rules.saving", { count: paper.reboot_limit_minutes })}</span>
          </li>
          <li>
            <LockIcon />
            <span>{t("lobby.rules.lock")}</span>
          </li>
          <li>
            <ShieldIcon />
            <span>{t("lobby.rules.recorded")}</span>
          </li>
        </ul>
      </section>

      <section className="card" aria-labelledby="lobby-check" aria-busy={check.status === "loading"}>
        <div className="exam-lobby__check-head">
          <h2 id="lobby-check" className="card__title">
            {t("lobby.check.title")}
          </h2>
          <button type="button" className="button button--secondary button--small" onClick={recheck}>
            {t("lobby.check.again")}
          </button>
        </div>
        {check.status === "loading" && <Loading label={t("lobby.check.running")} />}
        {check.status === "failed" && <Failure title={t("lobby.check.failed")} error={check.error} onRetry={recheck} />}
        {check.status === "ready" && <CheckResults check={check.data} />}
      </section>

      {problem !== null && (
        <div className="panel panel--error" role="alert">
          <h2 className="panel__title">{t("lobby.startFailed")}</h2>
          <p className="panel__text">{problem}</p>
        </div>
      )}

      <div className="exam-lobby__actions">
        <Link href={EXAMS_ROUTE} className="button button--secondary">
          {t("lobby.back")}
        </Link>
        <button
          type="button"
          className="button exam-lobby__start"
          onClick={() => void start()}
          disabled={blocked || check.status !== "ready"}
          aria-disabled={starting}
          aria-describedby="lobby-start-note"
        >
          {starting ? t("lobby.starting") : t("lobby.start")}
        </button>
      </div>
      <p id="lobby-start-note" className="exam-lobby__note">
        {blocked ? t("lobby.blockedNote") : t("lobby.startNote")}
      </p>
    </div>
  );
}

function CheckResults({ check }: { check: SystemCheck }) {
  const { t } = useTranslation("exam");
  return (
    <>
      <dl className="exam-facts exam-facts--check">
        <div>
          <dt>{t("lobby.check.displays")}</dt>
          <dd>{check.displays}</dd>
        </div>
        <div>
          <dt>{t("lobby.check.disk")}</dt>
          <dd>{diskSpace(check.free_disk_mib)}</dd>
        </div>
        <div>
          <dt>{t("lobby.check.machine")}</dt>
          <dd>{check.vm_indicators.length === 0 ? t("lobby.check.physical") : t("lobby.check.virtual")}</dd>
        </div>
      </dl>
      {check.blocking.length === 0 && check.warnings.length === 0 && (
        <p className="exam-check exam-check--ok">
          <CheckIcon />
          {t("lobby.check.allClear")}
        </p>
      )}
      {check.blocking.length > 0 && (
        <div className="exam-check exam-check--blocking">
          <h3 className="exam-check__title">
            <WarningIcon />
            {t("lobby.check.blocking", { count: check.blocking.length })}
          </h3>
          <ul>
            {check.blocking.map((text) => (
              <li key={text}>{sentence(text)}</li>
            ))}
          </ul>
        </div>
      )}
      {check.warnings.length > 0 && (
        <div className="exam-check exam-check--warning">
          <h3 className="exam-check__title">
            <WarningIcon />
            {t("lobby.check.warnings", { count: check.warnings.length })}
          </h3>
          <ul>
            {check.warnings.map((text) => (
              <li key={text}>{sentence(text)}</li>
            ))}
          </ul>
        </div>
      )}
    </>
  );
}
