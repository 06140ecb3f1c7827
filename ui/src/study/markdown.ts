// Markdown of lessons, questions and notes to safe HTML: marked (GitHub flavour), code
// highlighted by highlight.js, math as MathML by KaTeX (the CSP forbids the inline styles
// of KaTeX's HTML output), then DOMPurify. Relative images become `media` URLs of the
// pack, links to other lessons become in-app routes, and external links become plain text
// with their address, because the app is offline.
import { convertFileSrc } from "@tauri-apps/api/core";
import DOMPurify, { type Config } from "dompurify";
import hljs from "highlight.js/lib/common";
import { Marked } from "marked";
import { markedHighlight } from "marked-highlight";
import markedKatex from "marked-katex-extension";
import { lessonRoute } from "./route.ts";

const marked = new Marked(
  { gfm: true },
  markedHighlight({
    emptyLangClass: "hljs",
    langPrefix: "hljs language-",
    highlight(code, language) {
      const known = language !== "" && hljs.getLanguage(language) !== undefined;
      return known ? hljs.highlight(code, { language }).value : escapeHtml(code);
    },
  }),
  markedKatex({ output: "mathml", throwOnError: false, nonStandard: false }),
);

const SANITIZE: Config & { RETURN_DOM_FRAGMENT: true } = {
  USE_PROFILES: { html: true, mathMl: true },
  // KaTeX wraps its MathML in <semantics> with the TeX source as an <annotation>, which
  // MathML does not display; without them the TeX would show as text.
  ADD_TAGS: ["semantics", "annotation"],
  ADD_ATTR: ["encoding"],
  FORBID_ATTR: ["style"],
  FORBID_TAGS: ["style", "form", "input", "button", "textarea", "select"],
  RETURN_DOM_FRAGMENT: true,
};

/** Where Markdown comes from, so its relative links and images can be resolved. */
export type MarkdownSource = {
  packId: string;
  /** Pack path of the file the Markdown was written in (relative links start there). */
  path: string;
  /** The lesson whose file is at a pack path, if the course has one. */
  lessonAt: (packPath: string) => string | null;
};

/** Renders block Markdown to sanitized HTML. */
export function renderMarkdown(markdown: string, source: MarkdownSource | null): string {
  const html = marked.parse(markdown, { async: false }) as string;
  return finish(html, source, true);
}

/** Renders one line of Markdown (a choice, a matching prompt) to sanitized HTML. */
export function renderInlineMarkdown(markdown: string, source: MarkdownSource | null): string {
  const html = marked.parseInline(markdown, { async: false }) as string;
  return finish(html, source, false);
}

/** Plain text of one line of Markdown, for places that cannot hold markup (<option>). */
export function markdownToText(markdown: string): string {
  const container = document.createElement("div");
  container.innerHTML = renderInlineMarkdown(markdown, null);
  return (container.textContent ?? "").trim();
}

function finish(html: string, source: MarkdownSource | null, blocks: boolean): string {
  const fragment = DOMPurify.sanitize(html, SANITIZE);
  for (const image of Array.from(fragment.querySelectorAll("img"))) rewriteImage(image, source);
  for (const link of Array.from(fragment.querySelectorAll("a"))) rewriteLink(link, source);
  if (blocks) {
    demoteHeadings(fragment);
    for (const pre of Array.from(fragment.querySelectorAll("pre"))) pre.tabIndex = 0; // scrolls sideways
    for (const table of Array.from(fragment.querySelectorAll("table"))) wrapTable(table);
  }
  const container = document.createElement("div");
  container.append(fragment);
  return container.innerHTML;
}

const SCHEME = /^[a-z][a-z0-9+.-]*:/i;

/** A pack path for `link` written in the file at `from`, or null when it leaves the pack. */
function resolvePackPath(from: string, link: string): string | null {
  const parts = from.split("/");
  parts.pop();
  for (const segment of link.split("/")) {
    if (segment === "" || segment === ".") continue;
    if (segment === "..") {
      if (parts.length === 0) return null;
      parts.pop();
    } else {
      parts.push(safeDecode(segment));
    }
  }
  return parts.join("/");
}

/** The `media` URL of a file in a pack. */
export function mediaUrl(packId: string, packPath: string): string {
  return convertFileSrc(`${packId}/${packPath}`, "media");
}

function safeDecode(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

function rewriteImage(image: HTMLImageElement, source: MarkdownSource | null) {
  const src = image.getAttribute("src") ?? "";
  const path = source !== null && !SCHEME.test(src) && !src.startsWith("/") ? resolvePackPath(source.path, src) : null;
  if (source === null || path === null) {
    // Not in the pack: nothing can be loaded offline, so show what the picture is of.
    const alt = image.getAttribute("alt") ?? "";
    image.replaceWith(textSpan(alt, "md-missing-image"));
    return;
  }
  image.setAttribute("src", mediaUrl(source.packId, path));
  if (!image.hasAttribute("alt")) image.setAttribute("alt", "");
}

function rewriteLink(link: HTMLAnchorElement, source: MarkdownSource | null) {
  const href = link.getAttribute("href") ?? "";
  link.removeAttribute("target");
  if (href.startsWith("#")) {
    // An anchor in the same document; the hash belongs to the router, so the lesson
    // screen scrolls to it on click instead.
    link.setAttribute("data-anchor", slug(safeDecode(href.slice(1))));
    link.setAttribute("href", "#");
    return;
  }
  if (SCHEME.test(href) || href.startsWith("//") || href.startsWith("/")) {
    link.replaceWith(externalText(link, href.replace(/^mailto:/i, "")));
    return;
  }
  const file = href.split("#")[0] ?? "";
  const path = source !== null ? resolvePackPath(source.path, file) : null;
  const lessonId = source !== null && path !== null && /\.md$/i.test(path) ? source.lessonAt(path) : null;
  if (source === null || lessonId === null) {
    link.replaceWith(textSpan(link.textContent ?? "", "md-unlinked"));
    return;
  }
  link.setAttribute("href", `#${lessonRoute(source.packId, lessonId)}`);
}

function externalText(link: HTMLAnchorElement, address: string): HTMLElement {
  const span = document.createElement("span");
  span.className = "md-external";
  span.append(...Array.from(link.childNodes));
  if ((span.textContent ?? "").trim() !== address) {
    const url = document.createElement("span");
    url.className = "md-external__url";
    url.textContent = ` (${address})`;
    span.append(url);
  }
  return span;
}

function textSpan(text: string, className: string): HTMLElement {
  const span = document.createElement("span");
  span.className = className;
  span.textContent = text;
  return span;
}

/** The screen's title is the only h1: Markdown headings start one level below it. */
function demoteHeadings(fragment: DocumentFragment) {
  const headings = Array.from(fragment.querySelectorAll<HTMLElement>("h1, h2, h3, h4, h5, h6"));
  const shift = headings.some((h) => h.tagName === "H1") ? 1 : 0;
  const used = new Set<string>();
  for (const heading of headings) {
    const level = Math.min(6, Number(heading.tagName.slice(1)) + shift);
    let target = heading;
    if (shift > 0) {
      target = document.createElement(`h${level}`);
      target.append(...Array.from(heading.childNodes));
      heading.replaceWith(target);
    }
    let id = `md-${slug(target.textContent ?? "")}`;
    for (let n = 2; used.has(id); n += 1) id = `md-${slug(target.textContent ?? "")}-${n}`;
    used.add(id);
    target.id = id;
  }
}

function wrapTable(table: HTMLTableElement) {
  const wrapper = document.createElement("div");
  wrapper.className = "md-table";
  wrapper.tabIndex = 0; // wide tables scroll sideways
  table.replaceWith(wrapper);
  wrapper.append(table);
}

/** "Worked example" → "worked-example"; the id scheme of headings and anchors. */
function slug(text: string): string {
  return text
    .toLowerCase()
    .replace(/[^\p{L}\p{N}]+/gu, "-")
    .replace(/^-+|-+$/g, "");
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** The lesson at a pack path: lesson files are named after their id, maybe numbered. */
export function lessonFinder(lessonIds: Iterable<string>): (packPath: string) => string | null {
  const ids = new Set(lessonIds);
  return (packPath) => {
    const name = (packPath.split("/").pop() ?? "").replace(/\.md$/i, "");
    if (ids.has(name)) return name;
    const unnumbered = name.replace(/^\d+[-_. ]*/, "");
    return ids.has(unnumbered) ? unnumbered : null;
  };
}
