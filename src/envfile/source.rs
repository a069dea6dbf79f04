//! Byte offsets, line numbers and token extents in the raw environment file text.
//!
//! marked-yaml reports positions as 1-based lines and columns counted in characters,
//! and gives scalars only a start position. miette spans are byte ranges, so this
//! module converts positions and measures scalar tokens in the text itself.

use std::ops::Range;

use marked_yaml::{types::MarkedScalarNode, Marker, Node};
use miette::SourceSpan;

/// The text of one environment file with an index of its line starts.
#[derive(Debug)]
pub(crate) struct SourceText {
    text: String,
    line_starts: Vec<usize>,
}

/// How a scalar is written in YAML, which decides where its token ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ScalarStyle {
    Plain,
    Quoted,
    /// A literal (`|`) or folded (`>`) block scalar. Its token covers only the header line.
    Block,
}

impl SourceText {
    /// Indexes `text`. Lines end at `\n`, `\r\n` or a lone `\r`, as in YAML.
    pub(crate) fn new(text: String) -> Self {
        let mut line_starts = vec![0];
        let bytes = text.as_bytes();
        for (index, byte) in bytes.iter().enumerate() {
            let is_break = match byte {
                b'\n' => true,
                b'\r' => bytes.get(index + 1) != Some(&b'\n'),
                _ => false,
            };
            if is_break {
                line_starts.push(index + 1);
            }
        }
        Self { text, line_starts }
    }

    pub(crate) fn as_str(&self) -> &str {
        &self.text
    }

    /// Number of lines, counting a final line without a line break.
    pub(crate) fn line_count(&self) -> usize {
        self.line_starts.len()
    }

    /// Converts a marked-yaml marker to a byte offset, clamped to the text.
    pub(crate) fn offset_of(&self, marker: &Marker) -> usize {
        let Some(line) = self.line_content(marker.line()) else {
            return self.text.len();
        };
        let columns = marker.column().saturating_sub(1);
        let within_line = line
            .text
            .char_indices()
            .nth(columns)
            .map_or(line.text.len(), |(offset, _)| offset);
        line.range.start + within_line
    }

    /// Returns the 1-based line that contains byte `offset`.
    pub(crate) fn line_of(&self, offset: usize) -> usize {
        match self.line_starts.binary_search(&offset) {
            Ok(index) => index + 1,
            Err(index) => index,
        }
    }

    /// Returns the text of 1-based `line` without its line break.
    pub(crate) fn line_content(&self, line: usize) -> Option<LineContent<'_>> {
        let start = *self.line_starts.get(line.checked_sub(1)?)?;
        let next = self
            .line_starts
            .get(line)
            .copied()
            .unwrap_or(self.text.len());
        let raw = self.text.get(start..next)?;
        let text = raw.trim_end_matches(['\n', '\r']);
        Some(LineContent {
            text,
            range: start..start + text.len(),
        })
    }

    /// Byte range of the text of the line containing `offset`, without its line break.
    pub(crate) fn line_range_at(&self, offset: usize) -> Range<usize> {
        self.line_content(self.line_of(offset))
            .map_or(offset..offset, |line| line.range)
    }

    /// Returns the start offset of a node, or `None` for nodes built without a position.
    pub(crate) fn node_start(&self, node: &Node) -> Option<usize> {
        node.span().start().map(|marker| self.offset_of(marker))
    }

    /// Returns the style of the scalar token that starts at byte `start`.
    pub(crate) fn scalar_style(&self, start: usize) -> ScalarStyle {
        match self.text.get(start..).and_then(|rest| rest.chars().next()) {
            Some('"' | '\'') => ScalarStyle::Quoted,
            _ if self.follows_block_header(start) => ScalarStyle::Block,
            _ => ScalarStyle::Plain,
        }
    }

    /// Returns true when `start` begins the content of a block scalar.
    ///
    /// marked-yaml places a block scalar at its first content character, not at the
    /// `|` or `>` header. So the content must start its line, and the previous
    /// non-blank line must end with a header such as `|`, `>-` or `|2`.
    fn follows_block_header(&self, start: usize) -> bool {
        let line = self.line_of(start);
        let starts_line = self
            .line_content(line)
            .and_then(|content| self.text.get(content.range.start..start))
            .is_some_and(|indentation| indentation.trim().is_empty());
        if !starts_line {
            return false;
        }
        let header = (1..line)
            .rev()
            .filter_map(|previous| self.line_content(previous))
            .map(|content| strip_comment(content.text).trim_end())
            .find(|content| !content.trim().is_empty());
        header.is_some_and(ends_with_block_header)
    }

    /// Returns the byte range of a scalar token in the text.
    ///
    /// Quoted scalars end at their closing quote, even on a later line. Plain
    /// scalars on one line end after their value. A plain scalar folded over several
    /// lines and a block scalar end at the end of their first line, before any comment.
    /// A block scalar starts at its first content line.
    pub(crate) fn scalar_range(&self, scalar: &MarkedScalarNode) -> Option<Range<usize>> {
        let start = self.offset_of(scalar.span().start()?);
        let end = match self.scalar_style(start) {
            ScalarStyle::Quoted => self.quoted_end(start),
            ScalarStyle::Block => self.first_line_end(start),
            ScalarStyle::Plain => {
                let value = scalar.as_str();
                let written_in_place = self
                    .text
                    .get(start..)
                    .is_some_and(|rest| rest.starts_with(value));
                if written_in_place {
                    start + value.len()
                } else {
                    self.first_line_end(start)
                }
            }
        };
        Some(start..end.max(start))
    }

    /// Returns the offset of the next block sequence entry indicator (`-` followed by
    /// whitespace or a line break) at or after `from`, skipping comments.
    pub(crate) fn next_block_entry(&self, from: usize) -> Option<usize> {
        let rest = self.text.get(from..)?;
        let mut in_comment = false;
        let mut previous = None;
        let mut characters = rest.char_indices().peekable();
        while let Some((index, character)) = characters.next() {
            let after_space = previous.is_none_or(char::is_whitespace);
            previous = Some(character);
            match character {
                '\n' | '\r' => in_comment = false,
                '#' if after_space => in_comment = true,
                '-' if !in_comment && after_space => {
                    let followed_by_space = characters
                        .peek()
                        .is_none_or(|(_, next)| next.is_whitespace());
                    if followed_by_space {
                        return Some(from + index);
                    }
                }
                _ => {}
            }
        }
        None
    }

    /// Returns a miette span for a byte range.
    pub(crate) fn span(&self, range: Range<usize>) -> SourceSpan {
        let start = range.start.min(self.text.len());
        let end = range.end.clamp(start, self.text.len());
        SourceSpan::new(start.into(), end - start)
    }

    /// Returns the span of a node: the scalar token, or the first line of a collection.
    pub(crate) fn node_span(&self, node: &Node) -> SourceSpan {
        let range = match node {
            Node::Scalar(scalar) => self.scalar_range(scalar),
            Node::Mapping(_) | Node::Sequence(_) => self.collection_range(node),
        };
        let range = range.unwrap_or(0..0);
        self.span(range)
    }

    /// Returns the span of a scalar token, or an empty span at the start of the text
    /// for a scalar without a position.
    pub(crate) fn scalar_span(&self, scalar: &MarkedScalarNode) -> SourceSpan {
        self.span(self.scalar_range(scalar).unwrap_or(0..0))
    }

    fn collection_range(&self, node: &Node) -> Option<Range<usize>> {
        // marked-yaml places a block mapping at the `:` after its first key.
        let first_key_start = match node {
            Node::Mapping(mapping) => mapping
                .keys()
                .next()
                .and_then(|key| key.span().start())
                .map(|marker| self.offset_of(marker)),
            _ => None,
        };
        let marked_start = self.node_start(node)?;
        let start = first_key_start.map_or(marked_start, |key| key.min(marked_start));
        let line_end = self.line_range_at(start).end;
        let end = node
            .span()
            .end()
            .map(|marker| self.offset_of(marker))
            .filter(|end| *end > start && *end <= line_end)
            .map_or_else(|| self.first_line_end(start), |end| (end + 1).min(line_end));
        Some(start..end)
    }

    /// End of the content on the line of `start`: before a ` #` comment, without
    /// trailing whitespace.
    fn first_line_end(&self, start: usize) -> usize {
        let line_end = self.line_range_at(start).end;
        let Some(rest) = self.text.get(start..line_end) else {
            return start;
        };
        let content = match rest.find(" #").or_else(|| rest.find("\t#")) {
            Some(comment) => &rest[..comment],
            None => rest,
        };
        start + content.trim_end().len()
    }

    /// End of a single- or double-quoted scalar that starts at `start`, after the
    /// closing quote, or the end of the text if the quote is never closed.
    fn quoted_end(&self, start: usize) -> usize {
        let Some(rest) = self.text.get(start..) else {
            return start;
        };
        let mut characters = rest.char_indices();
        let Some((_, quote)) = characters.next() else {
            return start;
        };
        while let Some((offset, character)) = characters.next() {
            if quote == '"' && character == '\\' {
                characters.next();
            } else if character == quote {
                let doubled = quote == '\'' && rest[offset + 1..].starts_with('\'');
                if doubled {
                    characters.next();
                } else {
                    return start + offset + 1;
                }
            }
        }
        self.text.len()
    }
}

/// Returns a line without its comment, which starts at a `#` after whitespace.
fn strip_comment(line: &str) -> &str {
    let comment = line
        .char_indices()
        .find(|(index, character)| {
            *character == '#' && (*index == 0 || line[..*index].ends_with([' ', '\t']))
        })
        .map(|(index, _)| index);
    comment.map_or(line, |index| &line[..index])
}

/// Returns true when a line ends with a block scalar header: `|` or `>` with an
/// optional chomping indicator (`-`, `+`) and indentation digit, after whitespace
/// or at the start of the line.
fn ends_with_block_header(line: &str) -> bool {
    let without_indicators = line.trim_end_matches(|character: char| {
        matches!(character, '-' | '+') || character.is_ascii_digit()
    });
    let indicators = line.len() - without_indicators.len();
    let Some(before) = without_indicators
        .strip_suffix('|')
        .or_else(|| without_indicators.strip_suffix('>'))
    else {
        return false;
    };
    indicators <= 2 && (before.is_empty() || before.ends_with([' ', '\t']))
}

/// One line of the text without its line break.
pub(crate) struct LineContent<'a> {
    pub(crate) text: &'a str,
    pub(crate) range: Range<usize>,
}
