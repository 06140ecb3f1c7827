// A modal form for the proctor and the candidate (start code, PIN, extra time): the
// browser's own <dialog>, like ConfirmDialog, with its fields, a busy state while the
// shell works, and the shell's refusal in words under the fields.
import { useEffect, useId, useRef, type FormEvent, type ReactNode } from "react";
import { useTranslation } from "react-i18next";
import { sentence } from "./text.ts";

type Props = {
  open: boolean;
  title: string;
  text?: string;
  submitLabel: string;
  busyLabel: string;
  busy: boolean;
  error: string | null;
  danger?: boolean;
  /** Disables the submit button (something required is missing). */
  incomplete?: boolean;
  onSubmit(): void;
  onCancel(): void;
  children: ReactNode;
};

export function ExamDialog({ open, title, text, submitLabel, busyLabel, busy, error, danger = false, incomplete = false, onSubmit, onCancel, children }: Props) {
  const { t } = useTranslation();
  const dialog = useRef<HTMLDialogElement>(null);
  const form = useRef<HTMLFormElement>(null);
  const titleId = useId();
  const textId = useId();
  const errorId = useId();

  useEffect(() => {
    const element = dialog.current;
    if (element === null || !open) return;
    const returnTo = document.activeElement as HTMLElement | null;
    element.showModal();
    form.current?.querySelector<HTMLElement>("input, select, textarea, button")?.focus();
    return () => {
      element.close();
      if (returnTo?.isConnected === true) returnTo.focus();
    };
  }, [open]);

  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (!busy && !incomplete) onSubmit();
  };

  return (
    <dialog
      ref={dialog}
      className="dialog exam-dialog"
      aria-labelledby={titleId}
      aria-describedby={text === undefined ? undefined : textId}
      onCancel={(event) => {
        event.preventDefault();
        if (!busy) onCancel();
      }}
    >
      <form ref={form} onSubmit={submit} noValidate aria-describedby={error === null ? undefined : errorId}>
        <h2 id={titleId} className="dialog__title">
          {title}
        </h2>
        {text !== undefined && (
          <p id={textId} className="dialog__text">
            {text}
          </p>
        )}
        <div className="exam-dialog__fields">{children}</div>
        {error !== null && (
          <p id={errorId} className="exam-dialog__error" role="alert">
            {sentence(error)}
          </p>
        )}
        <div className="dialog__actions">
          <button type="button" className="button button--secondary" onClick={onCancel} disabled={busy}>
            {t("actions.cancel")}
          </button>
          <button type="submit" className={danger ? "button button--danger" : "button"} aria-disabled={busy || incomplete}>
            {busy ? busyLabel : submitLabel}
          </button>
        </div>
      </form>
    </dialog>
  );
}
