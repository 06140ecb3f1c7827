#!/usr/bin/env python3
"""Writes the slide SVGs for the "Raft consensus tour" video (slides/slide1.svg … slide6.svg).

The SVGs are committed, so this only needs to run again after editing a slide here.
Slides are 1280x720, drawn with plain shapes and text so that ImageMagick's internal
SVG renderer and browsers draw them alike (no markers, filters or external fonts).
"""
import math
import os

W, H = 1280, 720
FONT = "DejaVu Sans, Helvetica, Arial, sans-serif"
BG = "#f4f7fb"
INK = "#1f2d3d"
MUTED = "#5a6b7c"
BLUE = "#3a6ea5"
BLUE_FILL = "#e3edf7"
GREEN = "#3f8a52"
GREEN_FILL = "#e1f1e5"
ORANGE = "#c0702c"
ORANGE_FILL = "#f8e7d6"
RED = "#b5574b"
GREY = "#9aa8b6"
GREY_FILL = "#eef1f4"

HERE = os.path.dirname(os.path.abspath(__file__))


def esc(s):
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def text(x, y, s, size=30, fill=INK, anchor="start", weight="normal"):
    return (f'<text x="{x:.0f}" y="{y:.0f}" font-size="{size}" fill="{fill}" '
            f'text-anchor="{anchor}" font-weight="{weight}">{esc(s)}</text>')


def rect(x, y, w, h, fill, stroke, rx=12, sw=3):
    return (f'<rect x="{x:.0f}" y="{y:.0f}" width="{w:.0f}" height="{h:.0f}" rx="{rx}" '
            f'fill="{fill}" stroke="{stroke}" stroke-width="{sw}"/>')


def circle(x, y, r, fill, stroke, sw=3):
    return f'<circle cx="{x:.0f}" cy="{y:.0f}" r="{r}" fill="{fill}" stroke="{stroke}" stroke-width="{sw}"/>'


def arrow(x1, y1, x2, y2, color=GREY, width=4, head=18):
    dx, dy = x2 - x1, y2 - y1
    length = math.hypot(dx, dy)
    ux, uy = dx / length, dy / length
    nx, ny = -uy, ux
    bx, by = x2 - head * ux, y2 - head * uy
    return (f'<line x1="{x1:.1f}" y1="{y1:.1f}" x2="{bx:.1f}" y2="{by:.1f}" stroke="{color}" stroke-width="{width}"/>'
            f'<polygon points="{x2:.1f},{y2:.1f} {bx + head * 0.5 * nx:.1f},{by + head * 0.5 * ny:.1f} '
            f'{bx - head * 0.5 * nx:.1f},{by - head * 0.5 * ny:.1f}" fill="{color}"/>')


def slide(n, title, desc, heading, body):
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {W} {H}" width="{W}" height="{H}" font-family="{FONT}">',
        f"<title>{esc(title)}</title>",
        f"<desc>{esc(desc)}</desc>",
        # drawn past the edges: ImageMagick's renderer leaves a dark line on shapes that start at 0
        f'<rect x="-10" y="-10" width="{W + 20}" height="{H + 20}" fill="{BG}"/>',
    ]
    if heading:
        parts.append(f'<rect x="-10" y="-10" width="{W + 20}" height="22" fill="{BLUE}"/>')
        parts.append(text(70, 92, heading, size=48, weight="bold"))
        parts.append(f'<line x1="70" y1="116" x2="{W - 70}" y2="116" stroke="#c9d3dd" stroke-width="2"/>')
    parts.extend(body)
    parts.append(text(70, 690, "DWCP Fundamentals  |  A tour of Raft consensus", size=20, fill=MUTED))
    parts.append(text(W - 70, 690, f"{n} / 6", size=20, fill=MUTED, anchor="end"))
    parts.append("</svg>")
    path = os.path.join(HERE, "slides", f"slide{n}.svg")
    with open(path, "w", encoding="utf-8") as f:
        f.write("\n".join(parts) + "\n")


def slide1():
    body = [f'<rect x="-10" y="-10" width="{W + 20}" height="22" fill="{BLUE}"/>',
            text(640, 250, "A tour of Raft consensus", size=72, anchor="middle", weight="bold"),
            text(640, 320, "Electing a leader and committing an entry", size=36, fill=MUTED, anchor="middle"),
            text(640, 372, "Module 1, lesson 05  (about 2½ minutes)", size=26, fill=MUTED, anchor="middle")]
    xs = [400, 520, 640, 760, 880]
    for i, x in enumerate(xs):
        leader = i == 2
        body.append(circle(x, 500, 42, GREEN_FILL if leader else BLUE_FILL, GREEN if leader else BLUE))
        body.append(text(x, 511, f"S{i + 1}", size=28, anchor="middle", weight="bold"))
    body.append(text(640, 585, "one leader, four followers", size=26, fill=GREEN, anchor="middle"))
    slide(1, "A tour of Raft consensus",
          "Title slide: A tour of Raft consensus. Electing a leader and committing an entry. "
          "Five servers S1 to S5 in a row; S3 is the leader.", None, body)


def slide2():
    body = []
    boxes = [("Follower", 90, BLUE_FILL, BLUE), ("Candidate", 490, ORANGE_FILL, ORANGE), ("Leader", 890, GREEN_FILL, GREEN)]
    for name, x, fill, stroke in boxes:
        body.append(rect(x, 200, 300, 110, fill, stroke))
        body.append(text(x + 150, 268, name, size=40, anchor="middle", weight="bold"))
    body.append(arrow(395, 255, 485, 255, width=5))
    body.append(arrow(795, 255, 885, 255, width=5))
    body.append(text(440, 190, "election timeout", size=24, fill=INK, anchor="middle"))
    body.append(text(840, 190, "majority of votes", size=24, fill=INK, anchor="middle"))
    # leader back to follower, drawn below the boxes
    # separate lines rather than a polyline: ImageMagick's renderer closes open polylines
    body.append(f'<line x1="1040" y1="314" x2="1040" y2="370" stroke="{GREY}" stroke-width="5"/>')
    body.append(f'<line x1="1042" y1="370" x2="238" y2="370" stroke="{GREY}" stroke-width="5"/>')
    body.append(f'<line x1="240" y1="372" x2="240" y2="334" stroke="{GREY}" stroke-width="5"/>')
    body.append(f'<polygon points="240,314 229,334 251,334" fill="{GREY}"/>')
    body.append(text(640, 408, "sees a higher term: step down to follower", size=26, anchor="middle"))
    # term timeline
    body.append(text(90, 482, "Time is divided into terms:", size=28, weight="bold"))
    terms = [("term 1", "leader S1", GREEN_FILL, GREEN), ("term 2", "leader S4", GREEN_FILL, GREEN),
             ("term 3", "split vote", GREY_FILL, GREY), ("term 4", "leader S2", GREEN_FILL, GREEN),
             ("term 5", "election...", ORANGE_FILL, ORANGE)]
    for i, (t, who, fill, stroke) in enumerate(terms):
        x = 90 + i * 222
        body.append(rect(x, 505, 210, 96, fill, stroke, rx=8))
        body.append(text(x + 105, 545, t, size=28, anchor="middle", weight="bold"))
        body.append(text(x + 105, 582, who, size=24, fill=MUTED, anchor="middle"))
    body.append(text(640, 640, "At most one leader per term; a term may end with no leader.", size=26, fill=MUTED, anchor="middle"))
    slide(2, "Roles and terms",
          "Three roles: follower, candidate and leader. An election timeout turns a follower into a candidate; "
          "a majority of votes turns a candidate into the leader; any server that sees a higher term steps down "
          "to follower. Below, a timeline of terms 1 to 5: terms 1, 2 and 4 have leaders, term 3 had a split vote, "
          "term 5 is holding an election.", "Roles and terms", body)


def slide3():
    body = []
    pos = {3: (400, 380), 1: (150, 225), 2: (650, 225), 4: (150, 535), 5: (650, 535)}
    cand = 3
    state = {1: ("vote granted", GREEN), 2: ("vote granted", GREEN), 4: ("no reply yet", GREY), 5: ("no reply yet", GREY)}
    for n, (x, y) in pos.items():
        if n == cand:
            continue
        sx, sy = pos[cand]
        dx, dy = x - sx, y - sy
        d = math.hypot(dx, dy)
        ux, uy = dx / d, dy / d
        color = GREEN if state[n][1] == GREEN else GREY
        body.append(arrow(sx + 54 * ux, sy + 54 * uy, x - 56 * ux, y - 56 * uy, color=color, width=4))
    for n, (x, y) in pos.items():
        if n == cand:
            body.append(circle(x, y, 50, ORANGE_FILL, ORANGE, sw=4))
        else:
            ok = state[n][1] == GREEN
            body.append(circle(x, y, 50, GREEN_FILL if ok else BLUE_FILL, GREEN if ok else BLUE))
        body.append(text(x, y + 11, f"S{n}", size=32, anchor="middle", weight="bold"))
    # labels next to nodes
    lab = {1: (0, -66, "middle"), 2: (0, -66, "middle"), 4: (0, 86, "middle"), 5: (0, 86, "middle")}
    for n, (ox, oy, anc) in lab.items():
        x, y = pos[n]
        body.append(text(x + ox, y + oy, state[n][0], size=24, fill=state[n][1], anchor=anc))
    x, y = pos[cand]
    body.append(text(x, y + 84, "candidate, term 5", size=24, fill=ORANGE, anchor="middle", weight="bold"))
    # right panel
    px = 790
    body.append(rect(px, 170, 430, 420, "#ffffff", "#c9d3dd", rx=14, sw=2))
    lines = [("1. S3's election timeout fires", INK, "normal"),
             ("2. term 5, votes for itself", INK, "normal"),
             ("3. RequestVote to all others", INK, "normal"),
             ("One vote per server per term", MUTED, "normal"),
             ("Votes: S3 + S1 + S2", GREEN, "bold"),
             ("= 3 of 5, a majority", GREEN, "bold"),
             ("S3 becomes leader", GREEN, "bold")]
    yy = 230
    for s, col, wgt in lines:
        body.append(text(px + 30, yy, s, size=28, fill=col, weight=wgt))
        yy += 52 if s != "3. RequestVote to all others" else 70
    slide(3, "Electing a leader",
          "Five servers. S3, the candidate in the middle, in term 5, sends RequestVote to S1, S2, S4 and S5. "
          "S1 and S2 grant their votes; S4 and S5 have not replied. With its own vote S3 has 3 of 5, "
          "a majority, and becomes leader.", "Electing a leader", body)


def slide4():
    body = []
    rows = [("S3 leader", 8, ORANGE), ("S1", 8, None), ("S2", 8, None), ("S4", 7, None), ("S5", 6, None)]
    x0, cw, gap = 330, 118, 12
    body.append(text(x0 - 20, 170, "log index", size=24, fill=MUTED, anchor="end"))
    for i, idx in enumerate(range(4, 9)):
        body.append(text(x0 + i * (cw + gap) + cw / 2, 170, str(idx), size=26, fill=MUTED, anchor="middle"))
    for r_i, (name, last, _) in enumerate(rows):
        y = 180 + r_i * 68
        leader = r_i == 0
        body.append(text(x0 - 20, y + 39, name, size=28, anchor="end", weight="bold",
                         fill=GREEN if leader else INK))
        for i, idx in enumerate(range(4, 9)):
            x = x0 + i * (cw + gap)
            if idx <= last:
                new = idx == 8
                body.append(rect(x, y, cw, 56, GREEN_FILL if new else BLUE_FILL, GREEN if new else BLUE, rx=8))
                body.append(text(x + cw / 2, y + 37, f"t{5 if idx == 8 else 4}", size=24, anchor="middle",
                                 fill=GREEN if new else BLUE))
            else:
                body.append(rect(x, y, cw, 56, "none", "#c9d3dd", rx=8, sw=2))
    # majority bracket around rows 0-2 of index 8
    bx = x0 + 4 * (cw + gap) + cw + 24
    for x1, y1, x2, y2 in ((bx - 10, 180, bx + 8, 180), (bx + 6, 178, bx + 6, 374), (bx - 10, 372, bx + 8, 372)):
        body.append(f'<line x1="{x1}" y1="{y1}" x2="{x2}" y2="{y2}" stroke="{GREEN}" stroke-width="4"/>')
    body.append(text(bx + 24, 250, "stored on", size=26, fill=GREEN, weight="bold"))
    body.append(text(bx + 24, 284, "3 of 5 servers:", size=26, fill=GREEN, weight="bold"))
    body.append(text(bx + 24, 318, "committed", size=26, fill=GREEN, weight="bold"))
    body.append(rect(70, 585, 1140, 60, "#ffffff", "#c9d3dd", rx=10, sw=2))
    body.append(text(640, 625, "Entry 8: \u201crun vm-42 on n7\u201d  \u2192  AppendEntries  \u2192  majority stored  \u2192  apply, reply",
                     size=26, anchor="middle"))
    body.append(text(640, 556, "Cells show each entry's term. S4 and S5 lag; the leader retries until they catch up.", size=24,
                     fill=MUTED, anchor="middle"))
    slide(4, "Replicating an entry",
          "Logs of five servers from index 4 to 8. The leader S3 appended entry 8 in term 5, 'run vm-42 on n7', "
          "and sent AppendEntries. S1 and S2 also hold entry 8, so it is stored on 3 of 5 servers and committed. "
          "S4 has entries up to 7 and S5 up to 6; the leader keeps retrying until they catch up.",
          "Replicating an entry", body)


def slide5():
    body = []
    xs = {1: 170, 2: 390, 3: 610, 4: 830, 5: 1050}
    logs = {1: "log to 8", 2: "log to 8", 3: "log to 8", 4: "log to 7", 5: "log to 6"}
    body.append(rect(80, 140, 620, 250, GREEN_FILL, GREEN, rx=36))
    body.append(text(390, 180, "stored entry 8: committed", size=28, fill=GREEN, anchor="middle", weight="bold"))
    for n, x in xs.items():
        y = 265
        if n == 3:
            body.append(circle(x, y, 50, GREY_FILL, GREY))
            body.append(f'<line x1="{x - 32}" y1="{y - 32}" x2="{x + 32}" y2="{y + 32}" stroke="{RED}" stroke-width="6"/>')
            body.append(f'<line x1="{x - 32}" y1="{y + 32}" x2="{x + 32}" y2="{y - 32}" stroke="{RED}" stroke-width="6"/>')
        elif n == 4:
            body.append(circle(x, y, 50, ORANGE_FILL, ORANGE, sw=4))
        else:
            body.append(circle(x, y, 50, "#ffffff", GREEN if n < 3 else BLUE))
        body.append(text(x, y + 11, f"S{n}", size=32, anchor="middle", weight="bold"))
        body.append(text(x, y + 84, logs[n], size=24, fill=GREEN if n <= 3 else MUTED, anchor="middle"))
    body.append(text(610, 374, "old leader, down", size=22, fill=RED, anchor="middle"))
    body.append(text(830, 180, "candidate", size=26, fill=ORANGE, anchor="middle", weight="bold"))
    # S4's election, one column per server
    body.append(rect(70, 418, 1140, 70, "#ffffff", "#c9d3dd", rx=10, sw=2))
    votes = {1: ("refuses", RED), 2: ("refuses", RED), 3: ("no answer", GREY), 4: ("own vote", GREEN), 5: ("grants", GREEN)}
    for n, (v, col) in votes.items():
        body.append(text(xs[n], 463, v, size=26, fill=col, anchor="middle", weight="bold"))
    body.append(text(70, 545, "S4 gets 2 of 5 votes: S1 and S2 refuse, their logs are more up to date.", size=28))
    body.append(text(70, 590, "Any two majorities of 5 share at least one server, so whoever wins", size=28, weight="bold"))
    body.append(text(70, 630, "the next election already holds entry 8.", size=28, weight="bold"))
    slide(5, "Why committed entries survive",
          "Five servers. S1, S2 and S3 stored entry 8, which is committed; S3, the old leader, has crashed. "
          "S4 (log to 7) becomes a candidate: S5 (log to 6) grants its vote, but S1 and S2 refuse because their "
          "logs are more up to date, so S4 gets only 2 of 5 votes. Any two majorities of 5 share a server, so "
          "whoever wins the next election already holds entry 8.",
          "Why committed entries survive", body)


def slide6():
    body = []
    items = [("Randomised election timeouts", "start elections and make split votes rare"),
             ("A majority of votes", "makes a leader: at most one per term"),
             ("An entry is committed", "once a majority of servers has stored it"),
             ("The voting rule", "keeps committed entries across leader changes"),
             ("In DWCP", "every workload assignment is a committed log entry")]
    y = 190
    for head, rest in items:
        body.append(circle(100, y - 10, 12, GREEN if head == "In DWCP" else BLUE, "none", sw=0))
        body.append(text(130, y, head, size=32, weight="bold", fill=GREEN if head == "In DWCP" else INK))
        body.append(text(130, y + 42, rest, size=28, fill=MUTED))
        y += 95
    slide(6, "Recap",
          "Recap: randomised election timeouts start elections and make split votes rare; a majority of votes "
          "makes a leader, at most one per term; an entry is committed once a majority has stored it; the voting "
          "rule keeps committed entries across leader changes; in DWCP every workload assignment is a committed "
          "log entry.", "Recap", body)


if __name__ == "__main__":
    os.makedirs(os.path.join(HERE, "slides"), exist_ok=True)
    for make in (slide1, slide2, slide3, slide4, slide5, slide6):
        make()
