// Finding a search hit's passage in the opened lesson. The passage is text of the lesson's
// Markdown source, so it may hold markup the rendered page does not show (`**`, link
// targets): both sides are compared as bare words, and when the whole passage is not
// found, the longest run of its words that is.

/**
 * A passage of Markdown source as it reads on the page: without link targets (also one
 * cut off at either end of the passage), list numbers and bullets, heading hashes, and
 * strong and code markers. Keeps the search snippet's highlight markers.
 */
export function withoutMarkdown(text: string): string {
  return text
    .replace(/^[^\s()[\]]*\)/, "")
    .replace(/!?\[([^\]]*)\]\([^)]*\)?/g, "$1")
    .replace(/\]\([^)]*\)?/g, "")
    .replace(/^[ \t]*(?:\d+[.)]|[-*+]|#{1,6})[ \t]+/gm, "")
    .replace(/\*\*|__|`/g, "");
}

/** Words of a text, lower-cased, joined by single spaces. */
export function normalize(text: string): string {
  return words(text).join(" ");
}

function words(text: string): string[] {
  return text.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? [];
}

/**
 * Where `passage` occurs in `haystack` (a normalized text): as [start, end) of the
 * normalized text, trying the whole passage first and then ever shorter runs of it.
 */
function locate(haystack: string, passage: string): [number, number] | null {
  const wanted = words(withoutMarkdown(passage));
  // Shorter runs than this could match somewhere else by chance.
  const shortest = Math.min(wanted.length, Math.max(4, Math.ceil(wanted.length * 0.4)));
  for (let size = wanted.length; size >= shortest && size > 0; size -= 1) {
    for (let from = 0; from + size <= wanted.length; from += 1) {
      const needle = wanted.slice(from, from + size).join(" ");
      const at = haystack.indexOf(needle);
      if (at >= 0 && isWordStart(haystack, at) && isWordEnd(haystack, at + needle.length)) {
        return [at, at + needle.length];
      }
    }
  }
  return null;
}

function isWordStart(text: string, at: number): boolean {
  return at === 0 || text[at - 1] === " ";
}

function isWordEnd(text: string, at: number): boolean {
  return at === text.length || text[at] === " ";
}

/** The index of the transcript cue where the passage starts, if any. */
export function findInTexts(texts: string[], passage: string): number | null {
  const starts: number[] = [];
  let haystack = "";
  for (const text of texts) {
    if (haystack !== "") haystack += " ";
    starts.push(haystack.length);
    haystack += normalize(text);
  }
  const found = locate(haystack, passage);
  if (found === null) return null;
  let index = 0;
  while (index + 1 < starts.length && (starts[index + 1] ?? Infinity) <= found[0]) index += 1;
  return index;
}

/** A picture whose text alternative holds the passage (search indexes alt text too). */
export function findPicture(roots: Element[], passage: string): HTMLImageElement | null {
  for (const root of roots) {
    for (const image of Array.from(root.querySelectorAll("img"))) {
      if (locate(normalize(image.alt), passage) !== null) return image;
    }
  }
  return null;
}

type Position = { node: Text; offset: number };

/**
 * Wraps the passage in `<mark class="find-mark">` elements (one per text node it spans)
 * inside `roots`, which must be HTML the app inserted itself, not React's. Returns the
 * first mark, or null when the passage is not there.
 */
export function markPassage(roots: Element[], passage: string): HTMLElement | null {
  let haystack = "";
  const positions: Position[] = [];
  for (const root of roots) {
    const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT, {
      // MathML keeps the TeX source in an <annotation> that is not displayed.
      acceptNode: (node) =>
        node.parentElement?.closest("annotation") ? NodeFilter.FILTER_REJECT : NodeFilter.FILTER_ACCEPT,
    });
    for (let node = walker.nextNode() as Text | null; node !== null; node = walker.nextNode() as Text | null) {
      const text = node.data;
      for (let offset = 0; offset < text.length; offset += 1) {
        const char = text[offset] ?? "";
        if (/[\p{L}\p{N}]/u.test(char)) {
          // Lower-casing may change a character's length; keep one position per character.
          for (const lower of char.toLowerCase()) {
            haystack += lower;
            positions.push({ node, offset });
          }
        } else if (haystack !== "" && !haystack.endsWith(" ")) {
          haystack += " ";
          positions.push({ node, offset });
        }
      }
    }
    const previous = positions[positions.length - 1];
    if (previous !== undefined && !haystack.endsWith(" ")) {
      haystack += " "; // between roots; never the start or end of a match
      positions.push(previous);
    }
  }
  const found = locate(haystack.trimEnd(), passage);
  if (found === null) return null;
  const start = positions[found[0]];
  const last = positions[found[1] - 1];
  if (start === undefined || last === undefined) return null;
  return wrap(start, { node: last.node, offset: last.offset + 1 });
}

function wrap(start: Position, end: Position): HTMLElement | null {
  // The text nodes from start to end, in document order.
  const nodes: Text[] = [];
  const range = document.createRange();
  range.setStart(start.node, start.offset);
  range.setEnd(end.node, end.offset);
  const walker = document.createTreeWalker(range.commonAncestorContainer, NodeFilter.SHOW_TEXT);
  walker.currentNode = start.node;
  for (let node: Node | null = start.node; node !== null; node = walker.nextNode()) {
    nodes.push(node as Text);
    if (node === end.node) break;
  }
  let first: HTMLElement | null = null;
  for (const node of nodes) {
    const from = node === start.node ? start.offset : 0;
    const to = node === end.node ? end.offset : node.data.length;
    if (to <= from || node.data.slice(from, to).trim() === "") continue;
    const piece = document.createRange();
    piece.setStart(node, from);
    piece.setEnd(node, to);
    const mark = document.createElement("mark");
    mark.className = "find-mark";
    piece.surroundContents(mark);
    first ??= mark;
  }
  return first;
}

/** Removes the marks `markPassage` added. */
export function clearMarks(root: Element): void {
  for (const mark of Array.from(root.querySelectorAll("mark.find-mark"))) {
    const parent = mark.parentNode;
    mark.replaceWith(...Array.from(mark.childNodes));
    parent?.normalize();
  }
}
