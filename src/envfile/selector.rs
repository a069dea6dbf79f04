//! conda-build style platform selectors such as `linux64` or `linux and not aarch64`.
//!
//! The names follow conda-build's selector namespace (`conda_build/metadata.py`,
//! `get_selectors`): every OS and architecture part of a known subdir, plus
//! `linux32`, `linux64`, `win32`, `win64`, `unix`, `x86`, `x86_64` and `arm`. conda-lock's
//! table (`conda_lock/src_parser/selectors.py`) adds `osx64`, which is included too.
//! Python-valued selectors such as `py>=38` are rejected, because an environment file is
//! locked before any Python version is known.

use std::fmt;
use std::ops::Range;
use std::sync::LazyLock;

use rattler_conda_types::Subdir;

/// Maximum nesting of `not` and parentheses, so hostile input cannot exhaust the stack.
const MAX_DEPTH: usize = 64;

/// Names that are not an OS or architecture part of a subdir name.
const DERIVED_NAMES: [&str; 8] = [
    "arm", "linux32", "linux64", "osx64", "unix", "win32", "win64", "x86",
];

/// Every known selector name, sorted.
static KNOWN_NAMES: LazyLock<Vec<&'static str>> = LazyLock::new(|| {
    let mut names: Vec<&'static str> = Subdir::all()
        .filter_map(|subdir| subdir.as_str().split_once('-'))
        .flat_map(|(os, arch)| [os, arch_selector_name(arch)])
        .chain(DERIVED_NAMES)
        .collect();
    names.sort_unstable();
    names.dedup();
    names
});

/// A parsed selector expression of platform names combined with `not`, `and`, `or`
/// and parentheses, with Python's precedence.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Selector {
    text: String,
    expression: Expression,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Expression {
    Name(String),
    Not(Box<Expression>),
    And(Box<Expression>, Box<Expression>),
    Or(Box<Expression>, Box<Expression>),
}

/// Error from [`Selector::parse`]. Byte offsets are relative to the parsed text.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SelectorError {
    /// A name that is not a known platform selector.
    #[error("unknown selector `{name}`")]
    UnknownName {
        /// The unknown name.
        name: String,
        /// Byte offset of the name in the selector text.
        offset: usize,
    },
    /// Text that is not a valid selector expression.
    #[error("invalid selector `{text}`: {reason}")]
    Syntax {
        /// The whole selector text.
        text: String,
        /// Reason the text is invalid, for example "expected a selector name after `and`".
        reason: String,
        /// Byte range of the offending part of the selector text.
        range: Range<usize>,
    },
}

impl SelectorError {
    /// Returns the byte range of the offending part of the selector text.
    pub fn range(&self) -> Range<usize> {
        match self {
            SelectorError::UnknownName { name, offset } => *offset..offset + name.len(),
            SelectorError::Syntax { range, .. } => range.clone(),
        }
    }
}

impl Selector {
    /// Parses a selector expression, the text between the brackets of `# [...]`.
    pub fn parse(text: &str) -> Result<Self, SelectorError> {
        let tokens = tokenize(text)?;
        let mut parser = Parser {
            text,
            tokens: &tokens,
            position: 0,
            depth: 0,
        };
        let expression = parser.parse_or()?;
        if let Some(token) = parser.peek() {
            return Err(parser.syntax_error(
                format!("unexpected `{}` after a complete expression", token.text),
                token.range.clone(),
            ));
        }
        Ok(Self {
            text: text.trim().to_string(),
            expression,
        })
    }

    /// Returns true when the selector selects `platform`.
    pub fn matches(&self, platform: Subdir) -> bool {
        self.expression.evaluate(platform)
    }

    /// Returns the selector text without surrounding whitespace.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// Returns every selector name that [`Selector::parse`] accepts, sorted.
    pub fn known_names() -> &'static [&'static str] {
        &KNOWN_NAMES
    }
}

impl fmt::Display for Selector {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str(&self.text)
    }
}

/// conda-build names the `32` and `64` subdir architectures `x86` and `x86_64`.
fn arch_selector_name(arch: &'static str) -> &'static str {
    match arch {
        "32" => "x86",
        "64" => "x86_64",
        other => other,
    }
}

fn is_known_name(name: &str) -> bool {
    KNOWN_NAMES.binary_search(&name).is_ok()
}

/// Evaluates one selector name on `platform`, with conda-build's meaning.
fn name_matches(name: &str, platform: Subdir) -> bool {
    let subdir = platform.as_str();
    let (os, arch) = subdir.split_once('-').unwrap_or((subdir, ""));
    match name {
        "linux32" => subdir == "linux-32",
        "linux64" => subdir == "linux-64",
        "osx64" => subdir == "osx-64",
        "win32" => subdir == "win-32",
        "win64" => subdir == "win-64",
        "arm" => subdir.starts_with("linux-arm"),
        "unix" => matches!(os, "linux" | "osx" | "emscripten"),
        "x86" => matches!(arch, "32" | "64"),
        "x86_64" => arch == "64",
        other => other == os || other == arch,
    }
}

impl Expression {
    fn evaluate(&self, platform: Subdir) -> bool {
        match self {
            Expression::Name(name) => name_matches(name, platform),
            Expression::Not(inner) => !inner.evaluate(platform),
            Expression::And(left, right) => left.evaluate(platform) && right.evaluate(platform),
            Expression::Or(left, right) => left.evaluate(platform) || right.evaluate(platform),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum TokenKind {
    Name,
    Not,
    And,
    Or,
    Open,
    Close,
}

#[derive(Debug)]
struct Token<'a> {
    kind: TokenKind,
    text: &'a str,
    range: Range<usize>,
}

fn tokenize(text: &str) -> Result<Vec<Token<'_>>, SelectorError> {
    let mut tokens = Vec::new();
    let mut characters = text.char_indices().peekable();
    while let Some((start, character)) = characters.next() {
        if character.is_whitespace() {
            continue;
        }
        let kind = match character {
            '(' => TokenKind::Open,
            ')' => TokenKind::Close,
            c if c.is_ascii_alphabetic() || c == '_' => {
                let mut end = start + c.len_utf8();
                while let Some((offset, next)) = characters.peek().copied() {
                    if !(next.is_ascii_alphanumeric() || next == '_') {
                        break;
                    }
                    end = offset + next.len_utf8();
                    characters.next();
                }
                let token_text = &text[start..end];
                let kind = keyword_kind(token_text);
                tokens.push(Token {
                    kind,
                    text: token_text,
                    range: start..end,
                });
                continue;
            }
            other => {
                let range = start..start + other.len_utf8();
                return Err(SelectorError::Syntax {
                    text: text.trim().to_string(),
                    reason: format!("unexpected character `{other}`"),
                    range,
                });
            }
        };
        let range = start..start + character.len_utf8();
        tokens.push(Token {
            kind,
            text: &text[range.clone()],
            range,
        });
    }
    Ok(tokens)
}

fn keyword_kind(word: &str) -> TokenKind {
    match word {
        "not" => TokenKind::Not,
        "and" => TokenKind::And,
        "or" => TokenKind::Or,
        _ => TokenKind::Name,
    }
}

/// Recursive-descent parser: `or` binds weakest, then `and`, then `not`.
struct Parser<'t, 'a> {
    text: &'a str,
    tokens: &'t [Token<'a>],
    position: usize,
    depth: usize,
}

impl Parser<'_, '_> {
    fn peek(&self) -> Option<&Token<'_>> {
        self.tokens.get(self.position)
    }

    fn next_is(&self, kind: &TokenKind) -> bool {
        self.peek().is_some_and(|token| &token.kind == kind)
    }

    fn parse_or(&mut self) -> Result<Expression, SelectorError> {
        let mut left = self.parse_and()?;
        while self.next_is(&TokenKind::Or) {
            self.position += 1;
            let right = self.parse_and()?;
            left = Expression::Or(Box::new(left), Box::new(right));
        }
        Ok(left)
    }

    fn parse_and(&mut self) -> Result<Expression, SelectorError> {
        let mut left = self.parse_not()?;
        while self.next_is(&TokenKind::And) {
            self.position += 1;
            let right = self.parse_not()?;
            left = Expression::And(Box::new(left), Box::new(right));
        }
        Ok(left)
    }

    fn parse_not(&mut self) -> Result<Expression, SelectorError> {
        if !self.next_is(&TokenKind::Not) {
            return self.parse_atom();
        }
        self.position += 1;
        self.enter()?;
        let inner = self.parse_not()?;
        self.depth -= 1;
        Ok(Expression::Not(Box::new(inner)))
    }

    fn parse_atom(&mut self) -> Result<Expression, SelectorError> {
        let Some(token) = self.peek() else {
            return Err(self.syntax_error(
                self.missing_operand_reason(),
                self.text.len()..self.text.len(),
            ));
        };
        let (kind, range) = (token.kind.clone(), token.range.clone());
        let name = token.text.to_string();
        match kind {
            TokenKind::Name if is_known_name(&name) => {
                self.position += 1;
                Ok(Expression::Name(name))
            }
            TokenKind::Name => Err(SelectorError::UnknownName {
                name,
                offset: range.start,
            }),
            TokenKind::Open => self.parse_group(range),
            TokenKind::Not | TokenKind::And | TokenKind::Or | TokenKind::Close => {
                Err(self.syntax_error(format!("expected a selector name, found `{name}`"), range))
            }
        }
    }

    fn parse_group(&mut self, open: Range<usize>) -> Result<Expression, SelectorError> {
        self.position += 1;
        self.enter()?;
        let inner = self.parse_or()?;
        self.depth -= 1;
        if !self.next_is(&TokenKind::Close) {
            return Err(self.syntax_error("`(` is never closed".to_string(), open));
        }
        self.position += 1;
        Ok(inner)
    }

    fn enter(&mut self) -> Result<(), SelectorError> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            let range = self
                .tokens
                .get(self.position.saturating_sub(1))
                .map_or(0..0, |token| token.range.clone());
            return Err(
                self.syntax_error(format!("nested more than {MAX_DEPTH} levels deep"), range)
            );
        }
        Ok(())
    }

    fn missing_operand_reason(&self) -> String {
        match self
            .position
            .checked_sub(1)
            .and_then(|index| self.tokens.get(index))
        {
            Some(previous) => format!("expected a selector name after `{}`", previous.text),
            None => "the selector is empty".to_string(),
        }
    }

    fn syntax_error(&self, reason: String, range: Range<usize>) -> SelectorError {
        SelectorError::Syntax {
            text: self.text.trim().to_string(),
            reason,
            range,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn selects(text: &str, subdir: &str) -> bool {
        let selector = Selector::parse(text).unwrap();
        selector.matches(subdir.parse().unwrap())
    }

    #[test]
    fn single_names_match_conda_build_meaning() {
        assert!(selects("linux64", "linux-64"));
        assert!(!selects("linux64", "linux-aarch64"));
        assert!(selects("aarch64", "linux-aarch64"));
        assert!(selects("linux", "linux-ppc64le"));
        assert!(selects("unix", "osx-arm64"));
        assert!(!selects("unix", "win-64"));
        assert!(selects("x86", "linux-64"));
        assert!(selects("x86_64", "win-64"));
        assert!(!selects("x86_64", "linux-aarch64"));
        assert!(selects("arm64", "osx-arm64"));
        assert!(!selects("arm64", "linux-aarch64"));
        assert!(selects("osx64", "osx-64"));
        assert!(selects("win", "win-arm64"));
    }

    #[test]
    fn operators_follow_python_precedence() {
        assert!(selects("not win", "linux-64"));
        assert!(selects("linux and aarch64", "linux-aarch64"));
        assert!(!selects("linux and aarch64", "linux-64"));
        assert!(selects("win or linux and aarch64", "win-64"));
        assert!(!selects("(win or linux) and aarch64", "win-64"));
        assert!(selects("not not linux", "linux-64"));
    }

    #[test]
    fn unknown_name_reports_offset() {
        let error = Selector::parse("linux and py3k").unwrap_err();
        assert_eq!(error.range(), 10..14);
    }

    #[test]
    fn syntax_errors_are_reported() {
        for text in ["", "linux and", "(linux", "linux)", "py>=38", "and linux"] {
            let result = Selector::parse(text);
            assert!(
                matches!(result, Err(SelectorError::Syntax { .. })),
                "{text:?} gave {result:?}"
            );
        }
    }

    #[test]
    fn deep_nesting_is_rejected() {
        let text = format!("{}linux{}", "(".repeat(500), ")".repeat(500));
        assert!(Selector::parse(&text).is_err());
        let text = format!("{}linux", "not ".repeat(500));
        assert!(Selector::parse(&text).is_err());
    }
}
