#!/usr/bin/env bash
# Regenerates the video lesson "A tour of Raft consensus" of the DWCP Fundamentals course:
#
#   examples/dwcp-fundamentals/media/consensus-tour.webm   VP9 video (2 fps slides) + Opus speech
#   examples/dwcp-fundamentals/media/consensus-tour.vtt    WebVTT transcript, one cue per sentence
#
# and prints the `chapters:` front matter for lessons/05-video-consensus-tour.md (one chapter per
# slide). Paste it into the lesson if the narration changed, since slide start times move with it.
#
# Inputs (all in this folder, outside the course folder so they are not packed):
#   slides/slideN.svg     1280x720 slides; regenerate with ./gen-slides.py after editing it
#   narration/slideN.txt  one sentence per line; "caption || spoken" makes the voice say
#                         something other than the transcript shows (e.g. "vm-42" -> "V M 42")
#   chapters.txt          one chapter title per slide, in order
#
# Keyframes are forced at every slide start and otherwise come every 15 s; each one costs
# far more than the static frames between them, which is what keeps the file small.
#
# Needs ImageMagick (convert), espeak-ng and ffmpeg. Timing is exact: audio is assembled as raw
# 48 kHz samples, every slide lasts a whole number of seconds, and the cues are computed from
# the sample counts, so captions and chapters match the video.
set -euo pipefail

HERE="$(cd "$(dirname "$0")" && pwd)"
OUT="${OUT:-$HERE/../../dwcp-fundamentals/media}"
NAME="consensus-tour"
VOICE="${VOICE:-en-us}"
SPEED="${SPEED:-160}"          # words per minute
FPS=2                          # slides are static; 2 fps keeps seeking precise and the file tiny
RATE=48000                     # mono signed 16-bit samples per second
LEAD=$((RATE * 6 / 10))        # 0.6 s of silence before a slide's first sentence
GAP=$((RATE * 45 / 100))       # 0.45 s between sentences
TAIL=$((RATE * 8 / 10))        # at least 0.8 s after the last sentence, then up to a whole second

for tool in convert espeak-ng ffmpeg ffprobe; do
    command -v "$tool" >/dev/null || { echo "make-video.sh: $tool is not installed" >&2; exit 1; }
done

WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT

mapfile -t TITLES < "$HERE/chapters.txt"
COUNT=${#TITLES[@]}

silence() { head -c $(($1 * 2)) /dev/zero >> "$WORK/audio.raw"; }          # $1 samples
stamp() {  # samples -> hh:mm:ss.mmm
    local ms=$((($1 * 1000 + RATE / 2) / RATE))
    printf '%02d:%02d:%02d.%03d' $((ms / 3600000)) $((ms / 60000 % 60)) $((ms / 1000 % 60)) $((ms % 1000))
}

: > "$WORK/audio.raw"
VTT="$WORK/$NAME.vtt"
printf 'WEBVTT\n\n' > "$VTT"
CHAPTERS=""
KEYS=""     # slide start times in seconds: forced keyframes, so chapter seeks land on one
pos=0        # samples written so far
frame=0      # video frames written so far
cue=0

for ((i = 1; i <= COUNT; i++)); do
    svg="$HERE/slides/slide$i.svg"
    text="$HERE/narration/slide$i.txt"
    [[ -f "$svg" && -f "$text" ]] || { echo "make-video.sh: missing $svg or $text" >&2; exit 1; }

    convert "$svg" -resize '1280x720!' -alpha off "PNG24:$WORK/slide$i.png"

    start=$pos
    silence "$LEAD"; pos=$((pos + LEAD))
    first=1
    while IFS= read -r line || [[ -n "$line" ]]; do
        [[ -z "${line// /}" ]] && continue
        caption="${line%% || *}"
        spoken="$caption"
        [[ "$line" == *" || "* ]] && spoken="${line#* || }"
        if ((first == 0)); then silence "$GAP"; pos=$((pos + GAP)); fi
        first=0
        espeak-ng -v "$VOICE" -s "$SPEED" -w "$WORK/s.wav" "$spoken" < /dev/null
        ffmpeg -nostdin -v error -y -i "$WORK/s.wav" -ar "$RATE" -ac 1 -f s16le "$WORK/s.raw"
        samples=$(($(stat -c %s "$WORK/s.raw") / 2))
        cat "$WORK/s.raw" >> "$WORK/audio.raw"
        cue=$((cue + 1))
        printf '%d\n%s --> %s\n%s\n\n' "$cue" "$(stamp "$pos")" "$(stamp $((pos + samples)))" "$caption" >> "$VTT"
        pos=$((pos + samples))
    done < "$text"

    # Pad the slide to a whole number of seconds so that chapters fall on exact seconds.
    seconds=$(((pos + TAIL - start + RATE - 1) / RATE))
    finish=$((start + seconds * RATE))
    silence $((finish - pos)); pos=$finish

    for ((f = 0; f < seconds * FPS; f++)); do
        frame=$((frame + 1))
        ln -s "$WORK/slide$i.png" "$(printf '%s/frame%05d.png' "$WORK" "$frame")"
    done

    at=$((start / RATE))
    KEYS+="${KEYS:+,}$at"
    CHAPTERS+=$(printf '  - { at: "%d:%02d", title: "%s" }' $((at / 60)) $((at % 60)) "${TITLES[$((i - 1))]}")$'\n'
done

mkdir -p "$OUT"
ffmpeg -nostdin -v error -y \
    -framerate "$FPS" -i "$WORK/frame%05d.png" \
    -f s16le -ar "$RATE" -ac 1 -i "$WORK/audio.raw" \
    -map 0:v -map 1:a \
    -c:v libvpx-vp9 -b:v 0 -crf 40 -pix_fmt yuv420p -g $((FPS * 15)) -force_key_frames "$KEYS" -row-mt 1 -deadline good -cpu-used 2 \
    -c:a libopus -b:a 32k -application voip \
    -metadata title="A tour of Raft consensus" -metadata language=eng \
    "$OUT/$NAME.webm"
cp "$VTT" "$OUT/$NAME.vtt"

total=$((pos / RATE))
echo "wrote $OUT/$NAME.webm ($(stat -c %s "$OUT/$NAME.webm") bytes, $((total / 60)):$(printf '%02d' $((total % 60))), $frame frames)"
echo "wrote $OUT/$NAME.vtt ($cue cues)"
echo
echo "chapters:"
printf '%s' "$CHAPTERS"
