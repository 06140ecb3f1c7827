// A video lesson: the player (streamed by the shell over loopback HTTP), captions, chapters that seek, and a
// transcript that follows the video, can be filtered, and seeks to any cue. The
// transcript is one tab stop; the arrow keys move between its lines.
import { useEffect, useMemo, useRef, useState, type KeyboardEvent, type ReactNode, type RefObject } from "react";
import { useTranslation } from "react-i18next";
import { announce } from "../app/announce.ts";
import { commands, type VideoView } from "../bindings.ts";
import { normalize } from "./find.ts";
import { mediaUrl } from "./markdown.ts";
import { clock, scrollBehavior } from "./parts.tsx";

/** A transcript cue with its times (the wire type allows null for a time that was not a number). */
type Cue = { start: number; end: number; text: string };

/** The last item whose start is at or before `time`. */
function currentIndex<T>(items: T[], start: (item: T) => number, time: number): number | null {
  let found: number | null = null;
  items.forEach((item, index) => {
    if (start(item) <= time + 0.05) found = index;
  });
  return found;
}

/**
 * The cue being spoken, or in a pause the one before it; a cue about to start (within a
 * second) counts already, so seeking to a chapter marks the line it opens with.
 */
function currentCue(cues: Cue[], time: number): number | null {
  const index = currentIndex(cues, (c) => c.start, time);
  const next = cues[index === null ? 0 : index + 1];
  const inPause = index === null || time > (cues[index]?.end ?? time);
  return inPause && next !== undefined && next.start - time <= 1 ? (index ?? -1) + 1 : index;
}

export function VideoLesson({
  packId,
  title,
  video,
  foundCue,
}: {
  packId: string;
  title: string;
  video: VideoView;
  /** A transcript cue a search hit points at: shown, highlighted and focused. */
  foundCue: number | null;
}) {
  const { t } = useTranslation("study");
  const player = useRef<HTMLVideoElement>(null);
  const [time, setTime] = useState(0);
  const source = useVideoSource(packId, video.path);

  const seek = (seconds: number) => {
    const element = player.current;
    if (element === null) return;
    element.currentTime = seconds;
    setTime(seconds);
  };

  const cues = useMemo(
    () =>
      video.transcript.map((c): Cue => {
        const start = c.start ?? 0;
        return { start, end: Math.max(start, c.end ?? start), text: c.text };
      }),
    [video.transcript],
  );
  const chapter = currentIndex(video.chapters, (c) => c.at, time);
  const cue = currentCue(cues, time);
  const captions = video.path.replace(/\.[^./]+$/, ".vtt");

  return (
    <section className="video-lesson" aria-labelledby="video-heading">
      <h2 id="video-heading" className="visually-hidden">
        {t("video.heading")}
      </h2>
      <div className="video-lesson__frame">
        <video
          ref={player}
          className="video-lesson__player"
          controls
          preload="metadata"
          aria-label={title}
          src={source.url ?? undefined}
          onError={source.onError}
          onTimeUpdate={(event) => setTime(event.currentTarget.currentTime)}
          onSeeked={(event) => setTime(event.currentTarget.currentTime)}
        >
          {cues.length > 0 && <CaptionsTrack src={mediaUrl(packId, captions)} cues={cues} player={player} />}
          <p>{t("video.unsupported")}</p>
        </video>
      </div>
      {source.failed && (
        <p className="video-lesson__failed" role="status">
          {t("video.failed")}
        </p>
      )}
      <div className="video-lesson__panels">
        {video.chapters.length > 0 && (
          <nav className="chapters" aria-labelledby="chapters-heading">
            <h2 id="chapters-heading" className="study-panel__title">
              {t("video.chapters")}
            </h2>
            <ol className="chapters__list">
              {video.chapters.map((c, index) => (
                <li key={`${c.at}-${c.title}`}>
                  <button
                    type="button"
                    className="chapter"
                    aria-current={index === chapter ? "true" : undefined}
                    onClick={() => seek(c.at)}
                  >
                    <span className="chapter__time">{clock(c.at)}</span>
                    <span className="chapter__title">{c.title}</span>
                    <span className="visually-hidden">{t("video.seekHint")}</span>
                  </button>
                </li>
              ))}
            </ol>
          </nav>
        )}
        {cues.length > 0 && <Transcript cues={cues} current={cue} foundCue={foundCue} onSeek={seek} />}
      </div>
    </section>
  );
}

/**
 * Where the player reads the video from: the shell's loopback HTTP stream (WebKitGTK's
 * GStreamer player reads http, with Range requests for seeking, but not custom schemes).
 * `failed` is set when the shell has no URL for it or the player cannot read it.
 */
function useVideoSource(
  packId: string,
  path: string,
): {
  url: string | null;
  failed: boolean;
  onError: () => void;
} {
  const [state, setState] = useState<{ url: string | null; failed: boolean }>({ url: null, failed: false });

  useEffect(() => {
    let current = true;
    setState({ url: null, failed: false });
    commands.videoUrl(packId, path).then(
      (result) => {
        if (!current) return;
        setState(result.status === "ok" ? { url: result.data, failed: false } : { url: null, failed: true });
      },
      () => current && setState({ url: null, failed: true }),
    );
    return () => {
      current = false;
    };
  }, [packId, path]);

  const onError = () => setState((previous) => ({ ...previous, failed: true }));
  return { url: state.url, failed: state.failed, onError };
}

/**
 * The captions file beside the video. The `media` protocol is another origin than the
 * app, and browsers load a cross-origin caption file only under CORS; if it cannot be
 * loaded, the same captions are built from the transcript cues the shell already sent.
 */
function CaptionsTrack({ src, cues, player }: { src: string; cues: Cue[]; player: RefObject<HTMLVideoElement | null> }) {
  const { t } = useTranslation("study");
  const [failed, setFailed] = useState(false);
  const element = useRef<HTMLTrackElement>(null);
  const label = t("video.captions");

  // Load the file now (hidden) rather than when captions are first asked for, so a
  // failure is known before then. React does not forward a <track>'s error event.
  useEffect(() => {
    const track = element.current;
    if (track === null) return;
    const onError = () => setFailed(true);
    track.addEventListener("error", onError);
    if (track.track.mode === "disabled") track.track.mode = "hidden";
    return () => track.removeEventListener("error", onError);
  }, []);

  useEffect(() => {
    const element = player.current;
    if (!failed || element === null) return;
    const track = element.addTextTrack("captions", label);
    for (const cue of cues) track.addCue(new VTTCue(cue.start, cue.end, cue.text));
    return () => {
      // A track added by script cannot be removed; hide it and empty it instead.
      track.mode = "disabled";
      for (const added of Array.from(track.cues ?? [])) track.removeCue(added);
    };
  }, [failed, cues, label, player]);

  if (failed) return null;
  return <track ref={element} kind="captions" src={src} label={label} />;
}

function Transcript({
  cues,
  current,
  foundCue,
  onSeek,
}: {
  cues: Cue[];
  current: number | null;
  foundCue: number | null;
  onSeek: (seconds: number) => void;
}) {
  const { t } = useTranslation("study");
  const [filter, setFilter] = useState("");
  const list = useRef<HTMLOListElement>(null);
  const [engaged, setEngaged] = useState(false);
  /** The cue that was focused last: the list's one tab stop (arrow keys move within it). */
  const [focused, setFocused] = useState<number | null>(null);
  const normalized = useMemo(() => cues.map((c) => normalize(c.text)), [cues]);
  const terms = normalize(filter).split(" ").filter((w) => w !== "");
  const shown = cues
    .map((cue, index) => ({ cue, index }))
    .filter(({ index }) => terms.every((term) => (normalized[index] ?? "").includes(term)));

  const shownIndexes = shown.map(({ index }) => index);
  const tabStop = [focused, current, foundCue].find((i) => i !== null && shownIndexes.includes(i)) ?? shownIndexes[0];

  const onListKey = (event: KeyboardEvent<HTMLOListElement>) => {
    const at = shownIndexes.indexOf(Number((event.target as HTMLElement).dataset.cue));
    const moves: Record<string, number> = {
      ArrowDown: at + 1,
      ArrowUp: at - 1,
      Home: 0,
      End: shownIndexes.length - 1,
      PageDown: at + 5,
      PageUp: at - 5,
    };
    const to = moves[event.key];
    if (at < 0 || to === undefined) return;
    event.preventDefault();
    const target = shownIndexes[Math.max(0, Math.min(shownIndexes.length - 1, to))];
    if (target === undefined) return;
    setFocused(target);
    scrollCueIntoView(list.current, target)?.focus({ preventScroll: true });
  };

  // Say how many cues match once typing pauses.
  useEffect(() => {
    if (terms.length === 0) return;
    const timer = window.setTimeout(
      () => announce(t("video.filterResult", { count: shown.length, total: cues.length })),
      600,
    );
    return () => window.clearTimeout(timer);
    // `terms` and `shown` follow from `filter`.
  }, [filter]);

  // Keep the spoken cue in view, unless the learner is reading or using the list.
  useEffect(() => {
    if (current === null || engaged || terms.length > 0) return;
    scrollCueIntoView(list.current, current);
  }, [current]);

  // A search hit in the transcript: show it, scroll to it and focus it.
  useEffect(() => {
    if (foundCue === null) return;
    setFilter("");
    window.requestAnimationFrame(() => {
      const button = scrollCueIntoView(list.current, foundCue);
      button?.focus({ preventScroll: true });
    });
  }, [foundCue]);

  return (
    <section
      className="transcript"
      aria-labelledby="transcript-heading"
      onPointerEnter={() => setEngaged(true)}
      onPointerLeave={() => setEngaged(false)}
      onFocus={() => setEngaged(true)}
      onBlur={(event) => {
        if (!event.currentTarget.contains(event.relatedTarget as Node | null)) setEngaged(false);
      }}
    >
      <h2 id="transcript-heading" className="study-panel__title">
        {t("video.transcript")}
      </h2>
      <div className="field field--compact">
        <label htmlFor="transcript-filter" className="field__label">
          {t("video.filter")}
        </label>
        <input
          id="transcript-filter"
          type="search"
          className="study-input"
          value={filter}
          onChange={(event) => setFilter(event.target.value)}
          autoComplete="off"
          spellCheck={false}
        />
      </div>
      {terms.length > 0 && (
        <p className="transcript__count">{t("video.filterResult", { count: shown.length, total: cues.length })}</p>
      )}
      <p id="transcript-keys" className="visually-hidden">
        {t("video.keys")}
      </p>
      <ol className="transcript__cues" ref={list} aria-label={t("video.cues")} onKeyDown={onListKey}>
        {shown.map(({ cue, index }) => (
          <li key={index}>
            <button
              type="button"
              data-cue={index}
              className={`cue${index === foundCue ? " cue--found" : ""}`}
              aria-current={index === current ? "true" : undefined}
              aria-describedby={index === tabStop ? "transcript-keys" : undefined}
              tabIndex={index === tabStop ? 0 : -1}
              onFocus={() => setFocused(index)}
              onClick={() => onSeek(cue.start)}
            >
              <span className="cue__time">
                <span className="visually-hidden">{t("video.playFrom")} </span>
                {clock(cue.start)}
              </span>
              <span className="cue__text">{highlight(cue.text, terms)}</span>
            </button>
          </li>
        ))}
      </ol>
    </section>
  );
}

/** Scrolls the list (not the page) so the cue's button is in view; returns the button. */
function scrollCueIntoView(list: HTMLOListElement | null, index: number): HTMLButtonElement | null {
  const button = list?.querySelector<HTMLButtonElement>(`[data-cue="${index}"]`) ?? null;
  if (list === null || button === null) return button;
  const top = button.offsetTop; // the list is positioned (study.css), so this is within it
  const outside = top < list.scrollTop || top + button.offsetHeight > list.scrollTop + list.clientHeight;
  if (outside) list.scrollTo({ top: top - list.clientHeight / 3, behavior: scrollBehavior() });
  return button;
}

/** The text with each filter term wrapped in <mark>. */
function highlight(text: string, terms: string[]): ReactNode {
  if (terms.length === 0) return text;
  const pattern = new RegExp(`(${terms.map((term) => term.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")).join("|")})`, "giu");
  return text.split(pattern).map((part, index) => (index % 2 === 1 ? <mark key={index}>{part}</mark> : part));
}
