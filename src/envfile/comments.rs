//! `# [selector]` comments, read from the raw lines because YAML drops comments.
//!
//! A comment starts at a `#` that follows whitespace (or starts the line) and lies
//! outside every quoted or block scalar. A comment contains a selector when it ends in
//! `[expression]` followed only by text without parentheses, the pattern of
//! conda-lock's `conda_lock/src_parser/selectors.py`. A selector must follow a conda
//! dependency or pip requirement directly. Anywhere else it is an error, so no
//! selector is silently ignored.

use std::ops::Range;

use marked_yaml::types::MarkedMappingNode;
use marked_yaml::Node;

use super::dependencies::ParsedDependencies;
use super::error::EnvFileError;
use super::parse::Context;
use super::selector::{Selector, SelectorError};
use super::source::ScalarStyle;

/// A scalar token in the text.
struct Token {
    range: Range<usize>,
    style: ScalarStyle,
}

/// A selector found in a comment.
struct SelectorComment<'t> {
    /// Offset of the `#` that starts the comment.
    hash: usize,
    /// The text between the brackets.
    expression: &'t str,
    /// Byte range of the text between the brackets.
    expression_range: Range<usize>,
}

/// Finds every selector comment and attaches it to the dependency or pip line it
/// follows, or returns an error for a selector anywhere else.
pub(crate) fn attach_selectors(
    context: &Context<'_>,
    root: &MarkedMappingNode,
    parsed: &mut ParsedDependencies,
) -> Result<(), EnvFileError> {
    let tokens = collect_tokens(context, root);
    let covered = covered_ranges(context, &tokens);
    for line in 1..=context.text.line_count() {
        let Some(comment) = selector_comment(context, line, &covered) else {
            continue;
        };
        let owner = tokens
            .iter()
            .filter(|token| token.range.end <= comment.hash)
            .filter(|token| context.text.line_of(token.range.end) == line)
            .max_by_key(|token| token.range.end);
        let directly_after = owner.is_some_and(|token| {
            context
                .text
                .as_str()
                .get(token.range.end..comment.hash)
                .is_some_and(|between| between.trim().is_empty())
        });
        let owner_start = owner.map(|token| token.range.start);

        let conda_item = parsed
            .conda
            .iter_mut()
            .find(|dependency| Some(dependency.span.offset()) == owner_start);
        if let (Some(dependency), true) = (conda_item, directly_after) {
            dependency.selector = Some(parse_selector(context, &comment)?);
            continue;
        }
        let pip_item = parsed
            .pip
            .iter_mut()
            .find(|requirement| Some(requirement.span.offset()) == owner_start);
        if let (Some(requirement), true) = (pip_item, directly_after) {
            requirement.selector = Some(parse_selector(context, &comment)?);
            continue;
        }
        let owner_is_item = owner_start.is_some_and(|start| {
            parsed.conda.iter().any(|item| item.span.offset() == start)
                || parsed.pip.iter().any(|item| item.span.offset() == start)
        });
        return Err(selector_outside_dependencies(
            context,
            &comment,
            owner_is_item,
        ));
    }
    Ok(())
}

fn parse_selector(
    context: &Context<'_>,
    comment: &SelectorComment<'_>,
) -> Result<Selector, EnvFileError> {
    Selector::parse(comment.expression).map_err(|error| {
        let range = error.range();
        let start = comment.expression_range.start + range.start;
        let span = context.text.span(start..comment.expression_range.start + range.end);
        let expression = comment.expression.trim().to_string();
        match error {
            SelectorError::UnknownName { name, .. } => EnvFileError::UnknownSelector {
                selector: name,
                expression,
                help: format!(
                    "envlock evaluates platform selectors only: {}. Combine them with `not`, `and`, `or` and parentheses",
                    Selector::known_names().join(", ")
                ),
                src: context.src.clone(),
                span,
            },
            SelectorError::Syntax { reason, .. } => EnvFileError::InvalidSelector {
                selector: expression,
                reason,
                src: context.src.clone(),
                span,
            },
        }
    })
}

fn selector_outside_dependencies(
    context: &Context<'_>,
    comment: &SelectorComment<'_>,
    owner_is_item: bool,
) -> EnvFileError {
    let help = if owner_is_item {
        "a selector cannot apply to an entry of a flow list such as `[a, b]`. Write each dependency on its own `- spec  # [selector]` line"
    } else {
        "selectors apply only to conda dependency lines and to lines in the `pip:` list, one selector per line. Move the selector to such a line, or remove the brackets if this is a plain comment"
    };
    let range = comment.expression_range.clone();
    EnvFileError::SelectorOutsideDependencies {
        selector: comment.expression.trim().to_string(),
        help: help.to_string(),
        src: context.src.clone(),
        span: context.text.span(range.start - 1..range.end + 1),
    }
}

/// Collects every scalar token of the document, keys included.
fn collect_tokens(context: &Context<'_>, root: &MarkedMappingNode) -> Vec<Token> {
    let mut tokens = Vec::new();
    let mut pending: Vec<&Node> = Vec::new();
    let push_scalar = |tokens: &mut Vec<Token>, scalar| {
        if let Some(range) = context.text.scalar_range(scalar) {
            let style = context.text.scalar_style(range.start);
            tokens.push(Token { range, style });
        }
    };
    for (key, value) in root.iter() {
        push_scalar(&mut tokens, key);
        pending.push(value);
    }
    while let Some(node) = pending.pop() {
        match node {
            Node::Scalar(scalar) => push_scalar(&mut tokens, scalar),
            Node::Sequence(sequence) => pending.extend(sequence.iter()),
            Node::Mapping(mapping) => {
                for (key, value) in mapping.iter() {
                    push_scalar(&mut tokens, key);
                    pending.push(value);
                }
            }
        }
    }
    tokens.sort_by_key(|token| token.range.start);
    tokens
}

/// Byte ranges where a `#` is content, not a comment: quoted scalars, and block
/// scalars up to the next token.
fn covered_ranges(context: &Context<'_>, tokens: &[Token]) -> Vec<Range<usize>> {
    let text_end = context.text.as_str().len();
    tokens
        .iter()
        .enumerate()
        .filter_map(|(index, token)| match token.style {
            ScalarStyle::Quoted => Some(token.range.clone()),
            ScalarStyle::Block => {
                let next_start = tokens
                    .get(index + 1..)
                    .unwrap_or(&[])
                    .iter()
                    .map(|next| next.range.start)
                    .find(|start| *start > token.range.start)
                    .unwrap_or(text_end);
                Some(token.range.start..next_start)
            }
            ScalarStyle::Plain => None,
        })
        .collect()
}

/// Returns the selector of the comment that ends `line` after some content, if the
/// comment has one. Comments on lines of their own are never selectors.
fn selector_comment<'t>(
    context: &'t Context<'_>,
    line: usize,
    covered: &[Range<usize>],
) -> Option<SelectorComment<'t>> {
    let content = context.text.line_content(line)?;
    let hash = comment_start(content.text, content.range.start, covered)?;
    let before = &content.text[..hash - content.range.start];
    if before.trim().is_empty() {
        return None;
    }
    let comment = content.text[hash - content.range.start..].trim_end();
    let (start, expression) = bracket_expression(comment)?;
    let absolute = hash + start;
    Some(SelectorComment {
        hash,
        expression,
        expression_range: absolute..absolute + expression.len(),
    })
}

/// Returns the offset of the `#` that starts a comment on a line, if any.
fn comment_start(line: &str, line_start: usize, covered: &[Range<usize>]) -> Option<usize> {
    let mut previous = None;
    for (index, character) in line.char_indices() {
        let offset = line_start + index;
        let after_space = previous.is_none_or(|previous: char| previous == ' ' || previous == '\t');
        previous = Some(character);
        if character != '#' || !after_space {
            continue;
        }
        if covered.iter().any(|range| range.contains(&offset)) {
            continue;
        }
        return Some(offset);
    }
    None
}

/// Finds the last `[expression]` in a comment that is followed only by text without
/// parentheses, as conda-lock's regular expression `(#.*)\[([^\[\]]+)\](?(2)[^\(\)]*)$`
/// does. Returns the offset of the expression and its text.
fn bracket_expression(comment: &str) -> Option<(usize, &str)> {
    let opens: Vec<usize> = comment.match_indices('[').map(|(index, _)| index).collect();
    opens.into_iter().rev().find_map(|open| {
        let inside = &comment[open + 1..];
        let close = inside.find(['[', ']'])?;
        if close == 0 || !inside[close..].starts_with(']') {
            return None;
        }
        let tail = &inside[close + 1..];
        if tail.contains(['(', ')']) {
            return None;
        }
        Some((open + 1, &inside[..close]))
    })
}

#[cfg(test)]
mod tests {
    use super::bracket_expression;

    #[test]
    fn bracket_expression_follows_conda_lock_pattern() {
        assert_eq!(bracket_expression("# [linux64]"), Some((3, "linux64")));
        assert_eq!(bracket_expression("#[win]"), Some((2, "win")));
        assert_eq!(
            bracket_expression("# needed on [linux and aarch64] only"),
            Some((13, "linux and aarch64"))
        );
        assert_eq!(bracket_expression("# plain comment"), None);
        assert_eq!(bracket_expression("# [docs](https://example.org)"), None);
        assert_eq!(bracket_expression("# []"), None);
        assert_eq!(bracket_expression("# [a] then [b]"), Some((12, "b")));
    }
}
