// `#/exam/:session/result`: a handed-in attempt. The score against the pass mark and per
// topic (when this run graded it), the receipt code that proves the hand-in, each item's
// mark for practice exams, and the proctor's export of the sealed result for an offline
// hand-in (USB stick).
import { useState } from "react";
import { useTranslation } from "react-i18next";
import { Link } from "wouter";
import { open } from "@tauri-apps/plugin-dialog";
import { commands, type ExamSummary, type FinishedResult, type Grading, type ItemResult, type TopicTitle } from "../bindings.ts";
import { percent, timeSpent, trackLabel } from "../format.ts";
import { toUiError } from "../ipc.ts";
import i18next from "../i18n.ts";
import { useLoad, unwrap } from "../app/useLoad.ts";
import { Failure, Loading, ProgressBar } from "../app/states.tsx";
import { FolderIcon } from "../app/icons.tsx";
import { ExamDialog } from "./ExamDialog.tsx";
import { PinField } from "./ProctorMenu.tsx";
import { excerpt, paperItems, rememberedPaper, rememberResult } from "./paper.ts";
import { EXAMS_ROUTE } from "./route.ts";
import "../study/study.css";
import "./exam.css";

type Loaded = { result: FinishedResult; exam: ExamSummary | null };

async function load(sessionId: string): Promise<Loaded> {
  const result = rememberResult(await unwrap(commands.examResult(sessionId)));
  const exams = await unwrap(commands.listExams()).catch(() => []);
  return { result, exam: exams.find((exam) => exam.exam_id === result.session.exam_id) ?? null };
}

function points(value: number | null): string {
  return new Intl.NumberFormat(i18next.language, { maximumFractionDigits: 2 }).format(value ?? 0);
}

export function ResultScreen({ sessionId }: { sessionId: string }) {
  const { t } = useTranslation("exam");
  const [loaded, reload] = useLoad(() => load(sessionId), sessionId);

  if (loaded.status === "loading") return <Loading label={t("result.loading")} />;
  if (loaded.status === "failed") {
    return (
      <div className="screen">
        <h1 className="screen__title">{t("result.failedTitle")}</h1>
        <Failure title={t("result.failed")} error={loaded.error} onRetry={reload} />
      </div>
    );
  }
  const { result, exam } = loaded.data;
  const paper = rememberedPaper(sessionId);
  const title = exam?.title ?? paper?.title ?? t("result.untitled");
  const practice = (exam?.feedback ?? paper?.feedback) === "immediate";

  return (
    <div className="screen screen--narrow exam-result">
      <header>
        <p className="panel__eyebrow">{t("result.eyebrow")}</p>
        <h1 className="screen__title">{title}</h1>
        <p className="screen__lead">{t("result.timeUsed", { time: timeSpent(result.session.timer.used_ms / 1000) })}</p>
      </header>

      {result.grading !== null ? <Score grading={result.grading} /> : <p className="panel">{t("result.sealedOnly")}</p>}

      <section className="card exam-receipt" aria-labelledby="receipt-title">
        <h2 id="receipt-title" className="card__title">
          {t("result.receipt.title")}
        </h2>
        <p className="exam-receipt__code" aria-describedby="receipt-text">
          {result.receipt_code}
        </p>
        <p id="receipt-text" className="card__text">
          {t("result.receipt.text")}
        </p>
        <p className="exam-receipt__id">
          {t("result.receipt.resultId")} <code>{result.result_id}</code>
        </p>
      </section>

      {result.grading !== null && result.grading.topics.length > 0 && <Topics grading={result.grading} titles={exam?.topics ?? []} />}
      {practice && result.grading !== null && <Items sessionId={sessionId} grading={result.grading} />}

      <Export sessionId={sessionId} />

      <div>
        <Link href={EXAMS_ROUTE} className="button button--secondary">
          {t("result.back")}
        </Link>
      </div>
    </div>
  );
}

function Score({ grading }: { grading: Grading }) {
  const { t } = useTranslation("exam");
  const share = grading.percent ?? 0;
  return (
    <section className={`exam-score exam-score--${grading.outcome}`} aria-labelledby="score-title">
      <h2 id="score-title" className="exam-score__verdict">
        {t(`result.outcome.${grading.outcome}`)}
      </h2>
      <p className="exam-score__percent">{percent(share)}</p>
      <p className="exam-score__points">
        {t("result.points", { points: points(grading.points), max: points(grading.max), cut: percent(grading.cut_score_percent) })}
      </p>
      <div className="exam-score__bar">
        <ProgressBar value={share} max={100} label={t("result.scoreLabel")} text={percent(share)} />
        <span className="exam-score__cut" style={{ left: `${grading.cut_score_percent}%` }} aria-hidden="true" />
      </div>
      <p className="exam-score__explain">{t(`result.explain.${grading.outcome}`, { cut: percent(grading.cut_score_percent) })}</p>
    </section>
  );
}

function Topics({ grading, titles }: { grading: Grading; titles: TopicTitle[] }) {
  const { t } = useTranslation("exam");
  return (
    <section className="card" aria-labelledby="topics-title">
      <h2 id="topics-title" className="card__title">
        {t("result.topics")}
      </h2>
      <ul className="exam-topics">
        {grading.topics.map((topic) => {
          const max = topic.max ?? 0;
          const share = max > 0 ? ((topic.points ?? 0) / max) * 100 : 0;
          const name = titles.find((title) => title.id === topic.topic)?.title ?? trackLabel(topic.topic);
          return (
            <li key={topic.topic} className="exam-topics__row">
              <span className="exam-topics__name">{name}</span>
              <span className="exam-topics__value">{t("result.topicPoints", { points: points(topic.points), max: points(max), percent: percent(share), count: max })}</span>
              <ProgressBar value={share} max={100} label={name} text={percent(share)} />
            </li>
          );
        })}
      </ul>
    </section>
  );
}

function verdictOf(item: ItemResult): "correct" | "partly" | "incorrect" | "unanswered" | "pending" {
  if (item.response === null) return "unanswered";
  if (item.score === null) return "pending";
  const got = item.score.points ?? 0;
  const max = item.max ?? 0;
  if (max > 0 && got >= max - 1e-9) return "correct";
  return got > 0 ? "partly" : "incorrect";
}

/** Practice exams: each item's mark, with its prompt when this run still has it. */
function Items({ sessionId, grading }: { sessionId: string; grading: Grading }) {
  const { t } = useTranslation("exam");
  const paper = rememberedPaper(sessionId);
  const items = new Map(paper === undefined ? [] : paperItems(paper).map((item) => [item.question.id, item]));
  return (
    <section className="card" aria-labelledby="items-title">
      <h2 id="items-title" className="card__title">
        {t("result.items")}
      </h2>
      <ol className="exam-marks">
        {grading.items.map((item, index) => {
          const verdict = verdictOf(item);
          const onPaper = items.get(item.question_id);
          const prompt = onPaper?.question.prompt;
          return (
            <li key={item.question_id} className={`exam-marks__row exam-marks__row--${verdict}`}>
              <span className="exam-marks__number">{onPaper?.number ?? index + 1}</span>
              <span className="exam-marks__text">
                <span className="exam-marks__verdict">{t(`result.verdict.${verdict}`)}</span>
                {prompt !== undefined && <span className="exam-marks__prompt">{excerpt(prompt)}</span>}
              </span>
              <span className="exam-marks__points">{t("result.itemPoints", { points: points(item.score?.points ?? 0), max: points(item.max) })}</span>
            </li>
          );
        })}
      </ol>
    </section>
  );
}

/** The proctor writes the sealed result to a folder (a USB stick) with the PIN. */
function Export({ sessionId }: { sessionId: string }) {
  const { t } = useTranslation("exam");
  const [opened, setOpened] = useState(false);
  const [pin, setPin] = useState("");
  const [folder, setFolder] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [written, setWritten] = useState<string | null>(null);

  const choose = async () => {
    try {
      const chosen = await open({ title: t("export.chooseTitle"), directory: true, multiple: false });
      if (typeof chosen === "string") setFolder(chosen);
    } catch (thrown) {
      setError(toUiError(thrown).message);
    }
  };

  const exportResult = async () => {
    if (folder === null) {
      setError(t("export.noFolder"));
      return;
    }
    setBusy(true);
    setError(null);
    try {
      setWritten(await unwrap(commands.exportExamResult(sessionId, folder, pin)));
      setOpened(false);
      setPin("");
    } catch (thrown) {
      setError(toUiError(thrown).message);
    } finally {
      setBusy(false);
    }
  };

  return (
    <section className="card" aria-labelledby="export-title">
      <h2 id="export-title" className="card__title">
        {t("export.title")}
      </h2>
      <p className="card__text">{t("export.text")}</p>
      {written !== null && (
        <div className="panel panel--success" role="status">
          <div className="panel__body">
            <p className="panel__title">{t("export.done")}</p>
            <code className="empty__path">{written}</code>
          </div>
        </div>
      )}
      <div>
        <button type="button" className="button button--secondary" onClick={() => setOpened(true)}>
          <FolderIcon />
          {t("export.button")}
        </button>
      </div>
      {opened && (
        <ExamDialog
          open
          title={t("export.dialogTitle")}
          text={t("export.dialogText")}
          submitLabel={t("export.submit")}
          busyLabel={t("export.busy")}
          busy={busy}
          error={error}
          incomplete={pin.trim() === "" || folder === null}
          onSubmit={() => void exportResult()}
          onCancel={() => {
            setOpened(false);
            setError(null);
          }}
        >
          <PinField id="export-pin" value={pin} onChange={setPin} />
          <div className="field">
            <span className="field__label" id="export-folder-label">
              {t("export.folder")}
            </span>
            <p className="exam-folder" id="export-folder-value">
              {folder ?? t("export.noFolderYet")}
            </p>
            <button
              type="button"
              className="button button--secondary button--small"
              onClick={() => void choose()}
              aria-describedby="export-folder-label export-folder-value"
            >
              <FolderIcon />
              {t("export.choose")}
            </button>
          </div>
        </ExamDialog>
      )}
    </section>
  );
}
