// The exam clock on screen. The shell keeps the time (it counts only while the exam
// runs, and survives a crash); the screen asks for it about once a second and says so
// when 10 and 5 minutes are left. When time is up the shell has already handed the exam
// in. During a break the break clock runs instead; when the break time is used up the
// shell ends the break by itself.
import { useEffect, useRef, useState } from "react";
import { commands, type Timer } from "../bindings.ts";
import { toUiError, type UiError } from "../ipc.ts";

const TICK_MS = 1000;
/** Minutes left at which the candidate is told, largest first. */
export const WARNING_MINUTES = [10, 5] as const;
/** Typed answers still waiting are sent this close to the end. */
const LAST_CALL_MS = 3000;

export type ClockState = {
  timer: Timer;
  /** Minutes that were left at the last warning, until dismissed. */
  warning: number | null;
  dismissWarning(): void;
  /** The last tick failed; the clock on screen may be behind. */
  error: UiError | null;
};

type Handlers = {
  onWarning(minutes: number): void;
  onLastCall(): void;
  onTimeUp(): void;
  /** The break time ran out during a break: the shell has resumed the exam. */
  onBreakOver(): void;
};

export function useExamClock(sessionId: string, initial: Timer, paused: boolean, handlers: Handlers): ClockState {
  const [timer, setTimer] = useState(initial);
  const [warning, setWarning] = useState<number | null>(null);
  const [error, setError] = useState<UiError | null>(null);
  const latest = useRef(handlers);
  useEffect(() => {
    latest.current = handlers;
  });
  // Warnings already given. An exam reopened past a warning gives it once, with the
  // minutes actually left.
  const warned = useRef<Set<number> | null>(null);
  const lastCalled = useRef(false);

  // A timer from outside (a break ended, the proctor added time) replaces the ticked one.
  useEffect(() => setTimer(initial), [initial]);

  useEffect(() => {
    let stopped = false;
    let busy = false;
    const tick = async () => {
      if (busy || stopped) return;
      busy = true;
      try {
        const result = await commands.examTick(sessionId);
        if (stopped) return;
        if (result.status === "error") throw result.error;
        const next = result.data;
        setTimer(next);
        setError(null);
        if (paused) {
          if (next.break_left_ms === 0) {
            stopped = true;
            latest.current.onBreakOver();
          }
          return;
        }
        const remaining = next.remaining_ms;
        if (remaining === null) return;
        const given = (warned.current ??= new Set());
        // Time added by the proctor arms the warnings again and clears a passed one.
        for (const minutes of given) if (remaining > minutes * 60_000) given.delete(minutes);
        setWarning((shown) => (shown !== null && remaining > (shown + 1) * 60_000 ? null : shown));
        // A warning is for exams longer than it: a 10-minute exam does not start with one.
        const limit = next.limit_ms ?? 0;
        const reached = WARNING_MINUTES.filter(
          (minutes) => remaining <= minutes * 60_000 && limit > minutes * 60_000 && !given.has(minutes),
        );
        for (const minutes of WARNING_MINUTES) if (remaining <= minutes * 60_000) given.add(minutes);
        if (reached.length > 0 && remaining > 0) {
          const left = Math.ceil(remaining / 60_000);
          setWarning(left);
          latest.current.onWarning(left);
        }
        if (remaining <= LAST_CALL_MS && !lastCalled.current) {
          lastCalled.current = true;
          latest.current.onLastCall();
        }
        if (remaining === 0) {
          stopped = true;
          latest.current.onTimeUp();
        }
      } catch (thrown) {
        if (!stopped) setError(toUiError(thrown));
      } finally {
        busy = false;
      }
    };
    void tick();
    const interval = window.setInterval(() => void tick(), TICK_MS);
    return () => {
      stopped = true;
      window.clearInterval(interval);
    };
  }, [sessionId, paused]);

  return { timer, warning, dismissWarning: () => setWarning(null), error };
}

/** 754 000 ms → "12:34"; 4 354 000 → "1:12:34". Rounded up, so 0:00 means time is up. */
export function countdown(ms: number): string {
  const total = Math.max(0, Math.ceil(ms / 1000));
  const hours = Math.floor(total / 3600);
  const minutes = String(Math.floor((total % 3600) / 60)).padStart(2, "0");
  const seconds = String(total % 60).padStart(2, "0");
  return hours > 0 ? `${hours}:${minutes}:${seconds}` : `${minutes}:${seconds}`;
}
