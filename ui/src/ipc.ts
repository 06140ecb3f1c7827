// Helpers around the generated bindings: how the UI reads an error from the backend.
import type { IpcError, IpcErrorCode } from "./bindings.ts";

/** A backend error as the UI sees it. Codes this UI does not know decode as "unknown". */
export type UiError = { code: IpcErrorCode | "unknown"; message: string };

// A record, not a list, so the type check fails when the backend gains a code.
const KNOWN_CODES: Record<IpcErrorCode, true> = {
  invalid_pack: true,
  untrusted_pack: true,
  older_pack: true,
  database_too_new: true,
  database: true,
  io: true,
  not_found: true,
  invalid_answer: true,
  invalid_input: true,
  invalid_key: true,
  server_unreachable: true,
  server_refused: true,
  server_failed: true,
  internal: true,
};

function isKnownCode(code: unknown): code is IpcErrorCode {
  return typeof code === "string" && Object.hasOwn(KNOWN_CODES, code);
}

const FALLBACK_MESSAGE = "Something went wrong. Restart Studyhall; if it happens again, report it.";

/**
 * Reads a rejected command. Commands reject with `{ code, message }`, but Tauri itself
 * rejects with a plain string (unknown command, permission denied), so accept anything.
 */
export function toUiError(error: IpcError | unknown): UiError {
  if (typeof error === "object" && error !== null && "message" in error) {
    const { code, message } = error as { code?: unknown; message?: unknown };
    return {
      code: isKnownCode(code) ? code : "unknown",
      message: typeof message === "string" && message.length > 0 ? message : FALLBACK_MESSAGE,
    };
  }
  if (typeof error === "string" && error.length > 0) return { code: "unknown", message: error };
  return { code: "unknown", message: FALLBACK_MESSAGE };
}
