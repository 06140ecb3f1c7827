// `#/exam/:session/resume`: an exam stopped (a crash, a power cut) for longer than it
// allows. The proctor reads the session id and resume number from this screen, makes
// the resume code with their tools and types it here; the exam then goes on where it was.
import { useEffect, useState, type FormEvent } from "react";
import { useTranslation } from "react-i18next";
import { commands } from "../bindings.ts";
import { toUiError } from "../ipc.ts";
import { useLoad, unwrap } from "../app/useLoad.ts";
import { Failure, Loading } from "../app/states.tsx";
import { announce } from "../app/announce.ts";
import { navigate } from "../app/hashLocation.ts";
import { LockIcon } from "./icons.tsx";
import { examRoute } from "./route.ts";
import { sentence } from "./text.ts";
import "../study/study.css";
import "./exam.css";

type Challenge = { offlineMinutes: number; resumeNumber: number; title: string | null; limitMinutes: number | null } | null;

async function load(sessionId: string): Promise<Challenge> {
  const interrupted = await unwrap(commands.interruptedExam());
  if (interrupted?.outcome !== "needs_resume_code" || interrupted.session_id !== sessionId) return null;
  const [resumeNumber, exams] = await Promise.all([
    unwrap(commands.examResumeCount(sessionId)),
    unwrap(commands.listExams()).catch(() => []),
  ]);
  const exam = exams.find((candidate) => candidate.open_session === sessionId);
  return {
    offlineMinutes: interrupted.offline_minutes,
    resumeNumber,
    title: exam?.title ?? null,
    limitMinutes: exam?.reboot_limit_minutes ?? null,
  };
}

export function ResumeScreen({ sessionId }: { sessionId: string }) {
  const { t } = useTranslation("exam");
  const [challenge, reload] = useLoad(() => load(sessionId), sessionId);
  const [code, setCode] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  // Nothing to unlock (any more): the exam screen knows where this attempt stands.
  const unlocked = challenge.status === "ready" && challenge.data === null;
  useEffect(() => {
    if (unlocked) navigate(examRoute(sessionId), { replace: true });
  }, [unlocked, sessionId]);

  if (challenge.status === "loading" || unlocked) return <Loading label={t("resume.loading")} />;
  if (challenge.status === "failed") {
    return (
      <div className="screen">
        <h1 className="screen__title">{t("resume.title")}</h1>
        <Failure title={t("resume.failed")} error={challenge.error} onRetry={reload} />
      </div>
    );
  }
  if (challenge.data === null) return null;
  const { offlineMinutes, resumeNumber, title, limitMinutes } = challenge.data;

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    if (busy || code.trim() === "") return;
    setBusy(true);
    setError(null);
    try {
      await unwrap(commands.resumeExamWithCode(sessionId, code));
      announce(t("resume.accepted"));
      navigate(examRoute(sessionId), { replace: true });
    } catch (thrown) {
      setError(toUiError(thrown).message);
      setBusy(false);
    }
  };

  return (
    <div className="screen screen--narrow exam-resume">
      <header>
        <p className="panel__eyebrow">{title ?? t("resume.eyebrow")}</p>
        <h1 className="screen__title">{t("resume.title")}</h1>
        <p className="screen__lead">
          {[
            t("resume.lead", { count: offlineMinutes }),
            limitMinutes === null ? "" : t("resume.limit", { count: limitMinutes }),
            t("resume.safe"),
          ]
            .filter((part) => part !== "")
            .join(" ")}
        </p>
      </header>

      <section className="card" aria-labelledby="resume-proctor">
        <h2 id="resume-proctor" className="card__title">
          <LockIcon />
          {t("resume.forProctor")}
        </h2>
        <p className="card__text">{t("resume.proctorText")}</p>
        <dl className="exam-facts exam-facts--stacked">
          <div>
            <dt>{t("resume.session")}</dt>
            <dd>
              <code className="exam-mono">{sessionId}</code>
            </dd>
          </div>
          <div>
            <dt>{t("resume.number")}</dt>
            <dd>
              <code className="exam-mono">{resumeNumber}</code>
            </dd>
          </div>
        </dl>
      </section>

      <form className="card" onSubmit={(event) => void submit(event)} noValidate aria-labelledby="resume-code-title">
        <h2 id="resume-code-title" className="card__title">
          {t("resume.codeTitle")}
        </h2>
        <div className="field">
          <label htmlFor="resume-code" className="field__label">
            {t("resume.code")}
          </label>
          <p id="resume-code-hint" className="field__hint">
            {t("resume.codeHint")}
          </p>
          <input
            id="resume-code"
            className="study-input exam-code-input exam-code-input--short"
            type="text"
            value={code}
            onChange={(event) => {
              setCode(event.target.value);
              setError(null);
            }}
            aria-describedby={error === null ? "resume-code-hint" : "resume-code-hint resume-code-error"}
            aria-invalid={error !== null}
            autoComplete="off"
            autoCapitalize="characters"
            spellCheck={false}
            placeholder="ABCD-EFGH"
          />
        </div>
        {error !== null && (
          <p id="resume-code-error" className="exam-dialog__error" role="alert">
            {sentence(error)}
          </p>
        )}
        <div>
          <button type="submit" className="button" aria-disabled={busy || code.trim() === ""}>
            {busy ? t("resume.checking") : t("resume.submit")}
          </button>
        </div>
      </form>
    </div>
  );
}
