// At start-up: an exam that was running when the app stopped (a crash, a power cut, the
// proctor's exit) reopens at once — straight into the exam, or to the resume-code
// challenge when it was away longer than the exam allows.
import { useEffect } from "react";
import { commands } from "../bindings.ts";
import { navigate } from "../app/hashLocation.ts";
import { examResumeRoute, examRoute } from "./route.ts";

let asked = false;

export function useReopenInterruptedExam(): void {
  useEffect(() => {
    if (asked) return;
    asked = true;
    void Promise.resolve()
      .then(() => commands.interruptedExam())
      .then((result) => {
        if (result.status !== "ok" || result.data === null) return;
        const reopened = result.data;
        if (reopened.outcome === "continue") navigate(examRoute(reopened.session.session_id), { replace: true });
        else navigate(examResumeRoute(reopened.session_id), { replace: true });
      })
      .catch(() => undefined);
  }, []);
}
