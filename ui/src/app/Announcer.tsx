import { useEffect, useState } from "react";
import { onAnnounce } from "./announce.ts";

/** The two visually hidden live regions `announce()` writes to. Mount once. */
export function Announcer() {
  const [polite, setPolite] = useState("");
  const [assertive, setAssertive] = useState("");
  useEffect(
    () =>
      onAnnounce((message, politeness) => {
        const set = politeness === "assertive" ? setAssertive : setPolite;
        // Clear first so the same message twice is announced twice.
        set("");
        window.setTimeout(() => set(message), 50);
      }),
    [],
  );
  return (
    <>
      <div className="visually-hidden" role="status" aria-live="polite" aria-atomic="true">
        {polite}
      </div>
      <div className="visually-hidden" role="alert" aria-live="assertive" aria-atomic="true">
        {assertive}
      </div>
    </>
  );
}
