//! Loading the YAML tree with marked-yaml and describing YAML values in errors.

use marked_yaml::loader::DuplicateKeyInner;
use marked_yaml::types::{MarkedMappingNode, MarkedScalarNode};
use marked_yaml::{LoadError, LoaderOptions, Marker, Node};

use super::error::{EnvFileError, Source};
use super::source::SourceText;

/// Parses the text into the top-level mapping.
///
/// Duplicate keys are errors because YAML requires unique keys. Scalars keep their
/// quoting style, so a plain `5` is a number and a quoted `"5"` a string.
pub(crate) fn load(text: &SourceText, src: &Source) -> Result<MarkedMappingNode, EnvFileError> {
    let options = LoaderOptions::default()
        .error_on_duplicate_keys(true)
        .prevent_coercion(true);
    let node = marked_yaml::parse_yaml_with_options(0, text.as_str(), options)
        .map_err(|error| load_error(error, text, src))?;
    reject_second_document(text, src)?;
    match node {
        Node::Mapping(mapping) => Ok(mapping),
        other => Err(EnvFileError::TopLevelNotMapping {
            found: describe(&other).to_string(),
            src: src.clone(),
            span: text.node_span(&other),
        }),
    }
}

/// Returns true when the text has nothing but blank lines, comments, directives and
/// document markers.
pub(crate) fn has_no_content(text: &SourceText) -> bool {
    (1..=text.line_count()).all(|line| {
        let content = text.line_content(line).map_or("", |line| line.text).trim();
        content.is_empty()
            || content.starts_with('#')
            || content.starts_with('%')
            || is_document_marker(content, "---")
            || is_document_marker(content, "...")
    })
}

/// Describes a node's YAML type for messages, for example "a list" or "a number".
pub(crate) fn describe(node: &Node) -> &'static str {
    match node {
        Node::Mapping(_) => "a mapping",
        Node::Sequence(_) => "a list",
        Node::Scalar(scalar) => describe_scalar(scalar),
    }
}

/// Describes a scalar as YAML 1.2's core schema types it: plain `5` is a number,
/// plain `true` a boolean, plain `~` or nothing null, and everything else a string.
pub(crate) fn describe_scalar(scalar: &MarkedScalarNode) -> &'static str {
    if !scalar.may_coerce() {
        return "a string";
    }
    let value = scalar.as_str();
    if matches!(value, "" | "~" | "null" | "Null" | "NULL") {
        "null"
    } else if matches!(
        value,
        "true" | "True" | "TRUE" | "false" | "False" | "FALSE"
    ) {
        "a boolean"
    } else if is_yaml_number(value) {
        "a number"
    } else {
        "a string"
    }
}

/// Returns true for plain scalars that YAML 1.2's core schema reads as an integer
/// or a float.
fn is_yaml_number(value: &str) -> bool {
    let unsigned = value.strip_prefix(['+', '-']).unwrap_or(value);
    if matches!(unsigned, ".inf" | ".Inf" | ".INF") || matches!(value, ".nan" | ".NaN" | ".NAN") {
        return true;
    }
    if let Some(digits) = value.strip_prefix("0x") {
        return !digits.is_empty() && digits.chars().all(|c| c.is_ascii_hexdigit());
    }
    if let Some(digits) = value.strip_prefix("0o") {
        return !digits.is_empty() && digits.chars().all(|c| ('0'..='7').contains(&c));
    }
    is_decimal(unsigned)
}

/// Matches `(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?`.
fn is_decimal(value: &str) -> bool {
    let (mantissa, exponent) = match value.find(['e', 'E']) {
        Some(index) => (&value[..index], Some(&value[index + 1..])),
        None => (value, None),
    };
    let (whole, fraction) = match mantissa.split_once('.') {
        Some((whole, fraction)) => (whole, Some(fraction)),
        None => (mantissa, None),
    };
    let all_digits = |part: &str| part.chars().all(|c| c.is_ascii_digit());
    let mantissa_valid = match fraction {
        Some(fraction) => {
            all_digits(whole) && all_digits(fraction) && !(whole.is_empty() && fraction.is_empty())
        }
        None => !whole.is_empty() && all_digits(whole),
    };
    let exponent_valid = exponent.is_none_or(|exponent| {
        let digits = exponent.strip_prefix(['+', '-']).unwrap_or(exponent);
        !digits.is_empty() && all_digits(digits)
    });
    mantissa_valid && exponent_valid
}

fn is_document_marker(line: &str, marker: &str) -> bool {
    line.strip_prefix(marker)
        .is_some_and(|rest| rest.is_empty() || rest.starts_with([' ', '\t']))
}

/// Rejects a second YAML document, which marked-yaml would silently ignore.
///
/// A `---` marker after content, or any content after a `...` marker, starts a second
/// document. Markers count only at the start of a line, as in YAML.
fn reject_second_document(text: &SourceText, src: &Source) -> Result<(), EnvFileError> {
    let mut seen_content = false;
    let mut ended_at = None;
    for line in (1..=text.line_count()).filter_map(|line| text.line_content(line)) {
        let starts_document = is_document_marker(line.text, "---");
        let ends_document = is_document_marker(line.text, "...");
        let second_document_at = if starts_document && (seen_content || ended_at.is_some()) {
            Some(line.range.clone())
        } else if ends_document {
            ended_at = ended_at.or(Some(line.range.clone()));
            None
        } else if is_content(line.text) && !starts_document {
            seen_content = true;
            ended_at.as_ref().map(|_| line.range.clone())
        } else {
            None
        };
        if let Some(range) = second_document_at {
            return Err(EnvFileError::MultipleDocuments {
                src: src.clone(),
                span: text.span(range),
            });
        }
    }
    Ok(())
}

fn is_content(line: &str) -> bool {
    let trimmed = line.trim();
    !trimmed.is_empty() && !trimmed.starts_with('#')
}

fn load_error(error: LoadError, text: &SourceText, src: &Source) -> EnvFileError {
    match error {
        LoadError::ScanError(marker, scan_error) => {
            let message = scan_error.info().to_string();
            let help = scan_error_help(text, &marker);
            yaml_error(text, src, &marker, message, help)
        }
        LoadError::DuplicateKey(inner) => {
            let DuplicateKeyInner { prev_key, key } = *inner;
            EnvFileError::DuplicateKey {
                key: key.as_str().to_string(),
                first_span: text.scalar_span(&prev_key),
                src: src.clone(),
                span: text.scalar_span(&key),
            }
        }
        LoadError::TopLevelMustBeMapping(marker) | LoadError::TopLevelMustBeSequence(marker) => {
            let offset = text.offset_of(&marker);
            let line_end = text.line_range_at(offset).end;
            EnvFileError::TopLevelNotMapping {
                found: top_level_kind(text.as_str().get(offset..).unwrap_or("")).to_string(),
                src: src.clone(),
                span: text.span(offset..line_end),
            }
        }
        LoadError::UnexpectedAnchor(marker) => yaml_error(
            text,
            src,
            &marker,
            "YAML anchors (`&name`) and aliases (`*name`) are not supported".to_string(),
            "write the value out in full at each place it is used".to_string(),
        ),
        LoadError::UnexpectedTag(marker) => yaml_error(
            text,
            src,
            &marker,
            "YAML tags such as `!!str` are not supported".to_string(),
            "remove the tag and quote the value if it must stay a string".to_string(),
        ),
        LoadError::MappingKeyMustBeScalar(marker) => yaml_error(
            text,
            src,
            &marker,
            "a mapping key must be a plain string, not a list or mapping".to_string(),
            "write the key as a plain string followed by `:`".to_string(),
        ),
    }
}

fn yaml_error(
    text: &SourceText,
    src: &Source,
    marker: &Marker,
    message: String,
    help: String,
) -> EnvFileError {
    let offset = text.offset_of(marker);
    let line_end = text.line_range_at(offset).end;
    let end = text
        .as_str()
        .get(offset..line_end)
        .and_then(|rest| rest.chars().next())
        .map_or(offset, |character| offset + character.len_utf8());
    EnvFileError::Yaml {
        message,
        line: marker.line(),
        column: marker.column(),
        help,
        src: src.clone(),
        span: text.span(offset..end),
    }
}

/// Suggests spaces when the error line is indented with a tab, which YAML forbids.
fn scan_error_help(text: &SourceText, marker: &Marker) -> String {
    let line = text
        .line_content(marker.line())
        .map_or("", |line| line.text);
    let indentation: String = line
        .chars()
        .take_while(|character| character.is_whitespace())
        .collect();
    if indentation.contains('\t') {
        "YAML does not allow tabs for indentation, so indent this line with spaces".to_string()
    } else {
        "fix the YAML syntax at the marked position, for example the indentation or an unclosed quote or bracket".to_string()
    }
}

fn top_level_kind(rest: &str) -> &'static str {
    let trimmed = rest.trim_start();
    if trimmed.starts_with('-') || trimmed.starts_with('[') {
        "a list"
    } else {
        "a plain value"
    }
}
