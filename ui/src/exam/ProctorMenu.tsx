// The proctor's controls in the running exam, each behind the exam's proctor PIN: add
// time, and end the locked session without handing in (the app closes; the attempt stays
// open and continues when Studyhall is started again).
import { useEffect, useId, useRef, useState } from "react";
import { useTranslation } from "react-i18next";
import { commands, type SessionView } from "../bindings.ts";
import { toUiError } from "../ipc.ts";
import { announce } from "../app/announce.ts";
import { unwrap } from "../app/useLoad.ts";
import { ExamDialog } from "./ExamDialog.tsx";
import { ShieldIcon } from "./icons.tsx";

type Props = { sessionId: string; onSession(session: SessionView): void };

export function ProctorMenu({ sessionId, onSession }: Props) {
  const { t } = useTranslation("exam");
  const [expanded, setExpanded] = useState(false);
  const [dialog, setDialog] = useState<"time" | "exit" | null>(null);
  const menuId = useId();
  const toggle = useRef<HTMLButtonElement>(null);
  const container = useRef<HTMLDivElement>(null);

  // Escape or a click elsewhere closes the menu.
  useEffect(() => {
    if (!expanded) return;
    const onKey = (event: KeyboardEvent) => {
      if (event.key !== "Escape") return;
      setExpanded(false);
      toggle.current?.focus();
    };
    const onPointer = (event: PointerEvent) => {
      if (!container.current?.contains(event.target as Node)) setExpanded(false);
    };
    window.addEventListener("keydown", onKey);
    window.addEventListener("pointerdown", onPointer);
    return () => {
      window.removeEventListener("keydown", onKey);
      window.removeEventListener("pointerdown", onPointer);
    };
  }, [expanded]);

  const choose = (which: "time" | "exit") => {
    setExpanded(false);
    setDialog(which);
  };

  return (
    <div className="exam-proctor" ref={container}>
      <button
        ref={toggle}
        type="button"
        className="button button--ghost button--small"
        aria-expanded={expanded}
        aria-controls={menuId}
        onClick={() => setExpanded((value) => !value)}
      >
        <ShieldIcon />
        {t("proctor.menu")}
      </button>
      <ul id={menuId} className="exam-proctor__menu" hidden={!expanded} aria-label={t("proctor.menuLabel")}>
        <li>
          <button type="button" className="exam-proctor__item" onClick={() => choose("time")}>
            {t("proctor.addTime")}
          </button>
        </li>
        <li>
          <button type="button" className="exam-proctor__item" onClick={() => choose("exit")}>
            {t("proctor.exit")}
          </button>
        </li>
      </ul>
      {dialog === "time" && <AddTimeDialog sessionId={sessionId} onSession={onSession} onClose={() => setDialog(null)} />}
      {dialog === "exit" && <ExitDialog sessionId={sessionId} onClose={() => setDialog(null)} />}
    </div>
  );
}

/** The proctor PIN field: eight digits, hidden as typed. */
export function PinField({ id, value, onChange }: { id: string; value: string; onChange(value: string): void }) {
  const { t } = useTranslation("exam");
  return (
    <div className="field">
      <label htmlFor={id} className="field__label">
        {t("proctor.pin")}
      </label>
      <input
        id={id}
        className="study-input exam-pin"
        type="password"
        inputMode="numeric"
        autoComplete="off"
        maxLength={12}
        value={value}
        onChange={(event) => onChange(event.target.value)}
      />
    </div>
  );
}

function AddTimeDialog({ sessionId, onSession, onClose }: { sessionId: string; onSession(session: SessionView): void; onClose(): void }) {
  const { t } = useTranslation("exam");
  const [minutes, setMinutes] = useState("10");
  const [pin, setPin] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const count = Number(minutes);
  const valid = Number.isInteger(count) && count >= 1 && count <= 600;

  const grant = async () => {
    if (!valid) {
      setError(t("proctor.minutesInvalid"));
      return;
    }
    setBusy(true);
    setError(null);
    try {
      const session = await unwrap(commands.grantExamTime(sessionId, count, pin));
      onSession(session);
      announce(t("proctor.timeAdded", { count }));
      onClose();
    } catch (thrown) {
      setError(toUiError(thrown).message);
      setBusy(false);
    }
  };

  return (
    <ExamDialog
      open
      title={t("proctor.addTimeTitle")}
      text={t("proctor.addTimeText")}
      submitLabel={t("proctor.addTimeSubmit")}
      busyLabel={t("proctor.working")}
      busy={busy}
      error={error}
      incomplete={pin.trim() === ""}
      onSubmit={() => void grant()}
      onCancel={onClose}
    >
      <div className="field">
        <label htmlFor="grant-minutes" className="field__label">
          {t("proctor.minutes")}
        </label>
        <input
          id="grant-minutes"
          className="study-input exam-number"
          type="number"
          inputMode="numeric"
          min={1}
          max={600}
          value={minutes}
          onChange={(event) => setMinutes(event.target.value)}
          aria-invalid={!valid}
        />
      </div>
      <PinField id="grant-pin" value={pin} onChange={setPin} />
    </ExamDialog>
  );
}

function ExitDialog({ sessionId, onClose }: { sessionId: string; onClose(): void }) {
  const { t } = useTranslation("exam");
  const [pin, setPin] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  const exit = async () => {
    setBusy(true);
    setError(null);
    try {
      // The shell closes the app once the PIN is accepted.
      await unwrap(commands.proctorExit(sessionId, pin));
    } catch (thrown) {
      setError(toUiError(thrown).message);
      setBusy(false);
    }
  };

  return (
    <ExamDialog
      open
      title={t("proctor.exitTitle")}
      text={t("proctor.exitText")}
      submitLabel={t("proctor.exitSubmit")}
      busyLabel={t("proctor.working")}
      busy={busy}
      error={error}
      danger
      incomplete={pin.trim() === ""}
      onSubmit={() => void exit()}
      onCancel={onClose}
    >
      <PinField id="exit-pin" value={pin} onChange={setPin} />
    </ExamDialog>
  );
}
