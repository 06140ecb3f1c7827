//! Markdown to plain text, for the search index: what a reader sees, without markup,
//! link targets or HTML, so search snippets read as the rendered lesson does.

use pulldown_cmark::{Event, Options, Parser, TagEnd};

/// The readable text of `markdown`: paragraphs, headings, list items, table cells and
/// code blocks each on their own line; inline code and link texts kept; image alt text
/// kept; markup, URLs and raw HTML dropped.
pub fn plain_text(markdown: &str) -> String {
    let mut out = String::with_capacity(markdown.len());
    for event in Parser::new_ext(markdown, Options::all()) {
        match event {
            Event::Text(text) | Event::Code(text) => out.push_str(&text),
            Event::InlineMath(math) | Event::DisplayMath(math) => out.push_str(&math),
            Event::SoftBreak => out.push(' '),
            Event::HardBreak => out.push('\n'),
            Event::End(
                TagEnd::Paragraph
                | TagEnd::Heading(_)
                | TagEnd::Item
                | TagEnd::TableCell
                | TagEnd::CodeBlock
                | TagEnd::BlockQuote(_),
            ) if !out.ends_with('\n') => out.push('\n'),
            _ => {}
        }
    }
    out.truncate(out.trim_end().len());
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_what_a_reader_sees() {
        let markdown = "# Raft\n\nA **leader** is elected by [majority](04-raft.md).\n\
                        Then `append`.\n\n- one\n- two\n\n<div class=\"x\">raw</div>\n\n\
                        ![quorum overlap](../media/q.svg)\n\n```rust\nlet n = 3;\n```\n";
        assert_eq!(
            plain_text(markdown),
            "Raft\nA leader is elected by majority. Then append.\none\ntwo\nquorum overlap\nlet n = 3;"
        );
    }
}
