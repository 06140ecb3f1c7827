// Time on task for a lesson: a second counts only while the window is visible and
// focused and the learner did something (typed, pointed, scrolled, or a video played) in
// the last minute. Counted time goes to the shell in slices of about 30 s and when the
// learner leaves the lesson or the window.
import { useEffect } from "react";
import { commands } from "../bindings.ts";

const IDLE_AFTER_MS = 60_000;
const REPORT_EVERY_S = 30;
/** The shell takes at most this many seconds per call. */
const MAX_PER_CALL_S = 300;

const ACTIVITY_EVENTS = ["keydown", "pointerdown", "pointermove", "wheel", "scroll", "touchstart"] as const;
/** Media events do not bubble, but a capturing listener on the document still sees them. */
const MEDIA_EVENTS = ["play", "timeupdate", "seeked"] as const;

export function useActiveTime(packId: string, lessonId: string): void {
  useEffect(() => {
    let lastActivity = Date.now();
    let unreported = 0;

    const active = () => {
      lastActivity = Date.now();
    };
    const report = () => {
      while (unreported > 0) {
        const seconds = Math.min(unreported, MAX_PER_CALL_S);
        unreported -= seconds;
        // Time on task is a statistic: a lost slice is not worth troubling the learner.
        commands.recordStudyTime(packId, lessonId, seconds).catch(() => undefined);
      }
    };
    const tick = () => {
      const counting =
        document.visibilityState === "visible" && document.hasFocus() && Date.now() - lastActivity < IDLE_AFTER_MS;
      if (!counting) return;
      unreported += 1;
      if (unreported >= REPORT_EVERY_S) report();
    };
    const onVisibility = () => {
      if (document.visibilityState === "hidden") report();
    };

    for (const name of ACTIVITY_EVENTS) document.addEventListener(name, active, { capture: true, passive: true });
    for (const name of MEDIA_EVENTS) document.addEventListener(name, active, { capture: true });
    document.addEventListener("visibilitychange", onVisibility);
    window.addEventListener("blur", report);
    window.addEventListener("pagehide", report);
    const timer = window.setInterval(tick, 1000);

    return () => {
      window.clearInterval(timer);
      for (const name of ACTIVITY_EVENTS) document.removeEventListener(name, active, { capture: true });
      for (const name of MEDIA_EVENTS) document.removeEventListener(name, active, { capture: true });
      document.removeEventListener("visibilitychange", onVisibility);
      window.removeEventListener("blur", report);
      window.removeEventListener("pagehide", report);
      report();
    };
  }, [packId, lessonId]);
}
