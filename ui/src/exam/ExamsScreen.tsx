// The exams installed on this computer, as cards: what each one is (timed or not, how
// many questions, pass mark, attempts), and the way in: Begin (the proctor types the
// start code, or, signed in to a server, its key is released), Continue an attempt under
// way, or View the last result.
import { useState } from "react";
import { useTranslation } from "react-i18next";
import { Link } from "wouter";
import { commands, type ExamSummary } from "../bindings.ts";
import { percent, timeSpent, trackLabel } from "../format.ts";
import { toUiError } from "../ipc.ts";
import { useLoad, unwrap } from "../app/useLoad.ts";
import { Failure, Loading } from "../app/states.tsx";
import { ImportIcon } from "../app/icons.tsx";
import { navigate } from "../app/hashLocation.ts";
import { announce } from "../app/announce.ts";
import { useImports } from "../library/imports.tsx";
import { useLastSync } from "../sync/store.ts";
import { ImportStatus } from "../library/ImportStatus.tsx";
import { ExamDialog } from "./ExamDialog.tsx";
import { ExamIcon, WarningIcon } from "./icons.tsx";
import { examResultRoute, examRoute } from "./route.ts";
import "../study/study.css";
import "./exam.css";

/** Symbols in a start code, without the dashes. */
const START_CODE_SYMBOLS = 16;

export function ExamsScreen() {
  const { t } = useTranslation("exam");
  const imports = useImports();
  const lastSync = useLastSync();
  const [exams, reload] = useLoad(
    () => unwrap(commands.listExams()),
    // Reloaded after an import here and after a sync round (which may install packs).
    `${imports.libraryVersion} ${lastSync ?? ""}`,
  );
  const [beginning, setBeginning] = useState<ExamSummary | null>(null);
  const count = exams.status === "ready" ? exams.data.length : null;

  return (
    <div className="screen">
      <header className="screen__header screen__header--with-actions">
        <div>
          <h1 className="screen__title">{t("list.title")}</h1>
          <p className="screen__lead">{count !== null && count > 0 ? t("list.count", { count }) : t("list.lead")}</p>
        </div>
        <button type="button" className="button button--secondary" onClick={() => void imports.chooseAndImport()}>
          <ImportIcon />
          {t("list.import")}
        </button>
      </header>

      <ImportStatus />

      {exams.status === "loading" && <Loading label={t("list.loading")} />}
      {exams.status === "failed" && <Failure title={t("list.failed")} error={exams.error} onRetry={reload} />}
      {exams.status === "ready" &&
        (exams.data.length === 0 ? (
          <NoExams />
        ) : (
          <ul className="course-grid" aria-label={t("list.listLabel")}>
            {exams.data.map((exam) => (
              <li key={exam.exam_id}>
                <ExamCard exam={exam} onBegin={() => setBeginning(exam)} />
              </li>
            ))}
          </ul>
        ))}

      {beginning !== null && <BeginDialog exam={beginning} onClose={() => setBeginning(null)} />}
    </div>
  );
}

function ExamCard({ exam, onBegin }: { exam: ExamSummary; onBegin(): void }) {
  const { t } = useTranslation("exam");
  const titleId = `exam-${exam.exam_id}-title`;
  const context = <span className="visually-hidden">{t("card.for", { title: exam.title })}</span>;
  const attemptsLeft = exam.attempts_used < exam.attempts_allowed;
  const practice = exam.feedback === "immediate";
  const canBegin = exam.open_session === null && attemptsLeft && exam.server_trusted;

  return (
    <article className="course-card exam-card" aria-labelledby={titleId}>
      <div className="course-card__top">
        {exam.track !== null && <p className="chip">{trackLabel(exam.track)}</p>}
        {practice ? <p className="chip chip--success">{t("card.practice")}</p> : <p className="chip">{t("card.certification")}</p>}
      </div>
      <h2 id={titleId} className="course-card__title">
        {exam.title}
      </h2>
      <p className="course-card__summary">{exam.summary}</p>
      {practice && <p className="exam-card__note">{t("card.practiceNote")}</p>}
      <dl className="exam-facts">
        <div>
          <dt>{t("card.time")}</dt>
          <dd>{exam.time_limit_minutes === null ? t("card.untimed") : timeSpent(exam.time_limit_minutes * 60)}</dd>
        </div>
        <div>
          <dt>{t("card.questions")}</dt>
          <dd>{t("card.questionsValue", {
                items: t("card.itemCount", { count: exam.item_count }),
                sections: t("card.sectionCount", { count: exam.sections.length }),
              })}</dd>
        </div>
        <div>
          <dt>{t("card.passMark")}</dt>
          <dd>{percent(exam.cut_score_percent)}</dd>
        </div>
        <div>
          <dt>{t("card.attempts")}</dt>
          <dd>{t("card.attemptsValue", { used: exam.attempts_used, allowed: exam.attempts_allowed })}</dd>
        </div>
      </dl>
      {!exam.server_trusted && exam.open_session === null && (
        <p className="exam-card__problem">
          <WarningIcon />
          {t("card.untrustedServer")}
        </p>
      )}
      {exam.open_session === null && !attemptsLeft && <p className="exam-card__note">{t("card.noAttemptsLeft")}</p>}
      <div className="course-card__actions">
        {exam.open_session !== null ? (
          <Link className="button" href={examRoute(exam.open_session)}>
            {t("card.continue")}
            {context}
          </Link>
        ) : (
          <button type="button" className="button" onClick={onBegin} disabled={!canBegin}>
            {t("card.begin")}
            {context}
          </button>
        )}
        {exam.last_submitted !== null && (
          <Link className="button button--secondary" href={examResultRoute(exam.last_submitted)}>
            {t("card.viewResult")}
            {context}
          </Link>
        )}
      </div>
      <p className="course-card__version">{t("card.version", { version: exam.version })}</p>
    </article>
  );
}

/** Symbols of a typed code, forgiving case, spaces and dashes like the shell does. */
function codeSymbols(typed: string): number {
  return typed.replace(/[\s-]/g, "").length;
}

function BeginDialog({ exam, onClose }: { exam: ExamSummary; onClose(): void }) {
  const { t } = useTranslation("exam");
  const [code, setCode] = useState("");
  const [extra, setExtra] = useState("0");
  const [breaks, setBreaks] = useState("0");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  // Signed in to a server, the key may come from there instead of a start code.
  const [account] = useLoad(() => unwrap(commands.syncAccount()), null);
  const signedIn = account.status === "ready" && account.data !== null && !account.data.token_expired ? account.data : null;
  const [method, setMethod] = useState<"code" | "server">("code");
  const fromServer = signedIn !== null && method === "server";
  const symbols = codeSymbols(code);
  const extraPercent = Number(extra.trim() === "" ? "0" : extra);
  const extraValid = Number.isInteger(extraPercent) && extraPercent >= 0 && extraPercent <= 300;
  const breakMinutes = Number(breaks.trim() === "" ? "0" : breaks);
  const breaksValid = Number.isInteger(breakMinutes) && breakMinutes >= 0 && breakMinutes <= 120;

  const begin = async () => {
    if (!extraValid || !breaksValid) {
      setError(t(extraValid ? "begin.breaksInvalid" : "begin.extraInvalid"));
      return;
    }
    setBusy(true);
    setError(null);
    try {
      const paper = await unwrap(
        fromServer ? commands.beginReleasedExam(exam.exam_id, extraPercent) : commands.beginExam(exam.exam_id, code, extraPercent),
      );
      const sessionId = paper.session.session_id;
      if (breakMinutes > 0) {
        // The exam is unlocked either way; the lobby shows whether breaks were given.
        await unwrap(commands.allowExamBreaks(sessionId, breakMinutes)).catch((thrown: unknown) =>
          announce(t("begin.breaksFailed", { message: toUiError(thrown).message }), "assertive"),
        );
      }
      navigate(examRoute(sessionId));
    } catch (thrown) {
      setError(toUiError(thrown).message);
      setBusy(false);
    }
  };

  return (
    <ExamDialog
      open
      title={t("begin.title", { title: exam.title })}
      text={fromServer ? t("begin.serverText") : t("begin.text")}
      submitLabel={fromServer ? t("begin.serverSubmit") : t("begin.submit")}
      busyLabel={fromServer ? t("begin.serverBusy") : t("begin.busy")}
      busy={busy}
      error={error}
      incomplete={!fromServer && symbols === 0}
      onSubmit={() => void begin()}
      onCancel={onClose}
    >
      {signedIn !== null && (
        <fieldset className="field">
          <legend className="field__label">{t("begin.unlockWith")}</legend>
          <div className="choices choices--list">
            {(["code", "server"] as const).map((option) => (
              <label key={option} className="choice">
                <input
                  type="radio"
                  name="unlock-with"
                  value={option}
                  checked={method === option}
                  onChange={() => {
                    setMethod(option);
                    setError(null);
                  }}
                  className="choice__input"
                />
                <span className="choice__label">
                  {option === "code" ? t("begin.withCode") : t("begin.withServer", { username: signedIn.username })}
                </span>
              </label>
            ))}
          </div>
          {fromServer && <p className="field__hint">{t("begin.withServerHint", { server: signedIn.server_url, username: signedIn.username })}</p>}
        </fieldset>
      )}
      {/* The key from the server needs no start code: the field goes, what was typed stays. */}
      {!fromServer && (
        <div className="field">
          <label htmlFor="start-code" className="field__label">
            {t("begin.code")}
          </label>
          <p id="start-code-hint" className="field__hint">
            {t("begin.codeHint")}
          </p>
          <input
            id="start-code"
            className="study-input exam-code-input"
            type="text"
            value={code}
            onChange={(event) => {
              setCode(event.target.value);
              setError(null);
            }}
            aria-describedby="start-code-hint start-code-count"
            autoComplete="off"
            autoCapitalize="characters"
            spellCheck={false}
            placeholder="ABCD-EFGH-JKMN-PQRS"
          />
          <p id="start-code-count" className="field__hint exam-code-count">
            {t("begin.codeCount", { count: symbols, total: START_CODE_SYMBOLS })}
          </p>
        </div>
      )}
      <div className="field">
        <label htmlFor="extra-time" className="field__label">
          {t("begin.extra")}
        </label>
        <p id="extra-time-hint" className="field__hint">
          {exam.time_limit_minutes === null ? t("begin.extraUntimed") : t("begin.extraHint")}
        </p>
        <div className="number-input">
          <input
            id="extra-time"
            className="study-input exam-number"
            type="number"
            inputMode="numeric"
            min={0}
            max={300}
            step={5}
            value={extra}
            onChange={(event) => setExtra(event.target.value)}
            aria-describedby="extra-time-hint"
            aria-invalid={!extraValid}
            disabled={exam.time_limit_minutes === null}
          />
          <span className="number-input__unit" aria-hidden="true">
            %
          </span>
        </div>
      </div>
      <div className="field">
        <label htmlFor="break-time" className="field__label">
          {t("begin.breaks")}
        </label>
        <p id="break-time-hint" className="field__hint">
          {t("begin.breaksHint")}
        </p>
        <div className="number-input">
          <input
            id="break-time"
            className="study-input exam-number"
            type="number"
            inputMode="numeric"
            min={0}
            max={120}
            step={5}
            value={breaks}
            onChange={(event) => setBreaks(event.target.value)}
            aria-describedby="break-time-hint"
            aria-invalid={!breaksValid}
          />
          <span className="number-input__unit">{t("begin.minutes")}</span>
        </div>
      </div>
    </ExamDialog>
  );
}

function NoExams() {
  const { t } = useTranslation("exam");
  const { chooseAndImport } = useImports();
  return (
    <section className="empty" aria-labelledby="no-exams-title">
      <div className="empty__art" aria-hidden="true">
        <ExamIcon />
      </div>
      <h2 id="no-exams-title" className="empty__title">
        {t("list.empty.title")}
      </h2>
      <p className="empty__text">{t("list.empty.text")}</p>
      <ol className="empty__ways">
        <li>
          <h3>{t("list.empty.file.title")}</h3>
          <p>{t("list.empty.file.text")}</p>
          <button type="button" className="button" onClick={() => void chooseAndImport()}>
            <ImportIcon />
            {t("list.import")}
          </button>
        </li>
        <li>
          <h3>{t("list.empty.drop.title")}</h3>
          <p>{t("list.empty.drop.text")}</p>
        </li>
        <li>
          <h3>{t("list.empty.code.title")}</h3>
          <p>{t("list.empty.code.text")}</p>
        </li>
      </ol>
    </section>
  );
}
