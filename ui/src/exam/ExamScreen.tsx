// `#/exam/:session`: one attempt at an exam, in whichever state it is — the lobby before
// the start, the exam itself while it runs or is on a break. A handed-in attempt goes to
// its result; one interrupted for longer than the exam allows goes to the proctor's
// resume-code challenge first, so the clock cannot be restarted without it.
import { useEffect, useState } from "react";
import { useTranslation } from "react-i18next";
import { commands, type ExamPaper, type ExamSummary } from "../bindings.ts";
import { useLoad, unwrap } from "../app/useLoad.ts";
import { Failure, Loading } from "../app/states.tsx";
import { navigate } from "../app/hashLocation.ts";
import { Lobby } from "./Lobby.tsx";
import { Sitting } from "./Sitting.tsx";
import { examResultRoute, examResumeRoute } from "./route.ts";
import "../study/study.css";
import "./exam.css";

type Opened =
  | { kind: "paper"; paper: ExamPaper; exam: ExamSummary | null }
  | { kind: "result" }
  | { kind: "resume" };

async function open(sessionId: string): Promise<Opened> {
  const interrupted = await unwrap(commands.interruptedExam());
  if (interrupted?.outcome === "needs_resume_code" && interrupted.session_id === sessionId) return { kind: "resume" };
  let paper: ExamPaper;
  try {
    paper = await unwrap(commands.examPaper(sessionId));
  } catch (error) {
    // Once its result is sealed, an attempt's questions can no longer be opened; its
    // result still can.
    const sealed = await unwrap(commands.examResult(sessionId)).then(
      () => true,
      () => false,
    );
    if (sealed) return { kind: "result" };
    throw error;
  }
  if (paper.session.state === "submitted") return { kind: "result" };
  const exams = await unwrap(commands.listExams()).catch(() => []);
  return { kind: "paper", paper, exam: exams.find((exam) => exam.exam_id === paper.session.exam_id) ?? null };
}

export function ExamScreen({ sessionId }: { sessionId: string }) {
  const { t } = useTranslation("exam");
  const [opened, reload] = useLoad(() => open(sessionId), sessionId);
  const [started, setStarted] = useState<ExamPaper | null>(null);

  const elsewhere = opened.status === "ready" && opened.data.kind !== "paper" ? opened.data.kind : null;
  useEffect(() => {
    if (elsewhere === "result") navigate(examResultRoute(sessionId), { replace: true });
    if (elsewhere === "resume") navigate(examResumeRoute(sessionId), { replace: true });
  }, [elsewhere, sessionId]);

  if (opened.status === "loading" || elsewhere !== null) return <Loading label={t("opening")} />;
  if (opened.status === "failed") {
    return (
      <div className="screen">
        <h1 className="screen__title">{t("openFailedTitle")}</h1>
        <Failure title={t("openFailed")} error={opened.error} onRetry={reload} />
      </div>
    );
  }
  if (started !== null) return <Sitting paper={started} />;
  const { paper, exam } = opened.data as Extract<Opened, { kind: "paper" }>;
  if (paper.session.state === "lobby") return <Lobby paper={paper} exam={exam} onStarted={setStarted} />;
  return <Sitting paper={paper} />;
}
