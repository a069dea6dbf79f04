//! The `dependencies` list: conda match specs and one `pip:` subsection.

use marked_yaml::types::{MarkedMappingNode, MarkedScalarNode};
use marked_yaml::Node;
use miette::SourceSpan;
use rattler_conda_types::{MatchSpec, ParseStrictness};

use super::error::EnvFileError;
use super::parse::Context;
use super::yaml;
use super::{CondaDependency, PipRequirement};

/// The entries of `dependencies`, before selectors are attached.
pub(crate) struct ParsedDependencies {
    pub(crate) conda: Vec<CondaDependency>,
    pub(crate) pip: Vec<PipRequirement>,
}

/// Parses the value of the `dependencies` key.
pub(crate) fn parse(
    context: &Context<'_>,
    key: &MarkedScalarNode,
    value: &Node,
) -> Result<ParsedDependencies, EnvFileError> {
    let items = match value {
        Node::Sequence(sequence) => sequence.as_slice(),
        Node::Scalar(scalar) if yaml::describe_scalar(scalar) == "null" => &[][..],
        other => {
            return Err(context.wrong_type(
                "dependencies",
                "a list of match specs",
                yaml::describe(other),
                "write one `- spec` entry per line under `dependencies:`".to_string(),
                context.value_span(key, value),
            ))
        }
    };

    let mut parsed = ParsedDependencies {
        conda: Vec::new(),
        pip: Vec::new(),
    };
    let mut pip_key: Option<SourceSpan> = None;
    let spans = context.item_spans(value, items);
    for (item, span) in items.iter().zip(spans) {
        match item {
            Node::Mapping(mapping) => {
                parse_subsection(context, mapping, &mut pip_key, &mut parsed.pip)?
            }
            _ => parsed.conda.push(conda_dependency(context, item, span)?),
        }
    }

    if parsed.conda.is_empty() && parsed.pip.is_empty() {
        return Err(EnvFileError::EmptyDependencies {
            src: context.src.clone(),
            span: context.value_span(key, value),
        });
    }
    if pip_key.is_some() && !parsed.conda.iter().any(is_pip_package) {
        tracing::warn!(
            "the environment file has a `pip:` subsection but does not list `pip` as a conda dependency"
        );
    }
    Ok(parsed)
}

fn conda_dependency(
    context: &Context<'_>,
    item: &Node,
    span: SourceSpan,
) -> Result<CondaDependency, EnvFileError> {
    let (_, text) = match item {
        Node::Sequence(_) => {
            return Err(context.wrong_type(
                "dependencies",
                "a match spec or a `pip:` list",
                "a list",
                "write each conda package as its own `- spec` line, because nested lists are not allowed"
                    .to_string(),
                span,
            ))
        }
        _ => context.string_item(item, "dependencies", "a match spec string", span)?,
    };
    let spec = MatchSpec::from_str(&text, ParseStrictness::Lenient).map_err(|error| {
        EnvFileError::InvalidMatchSpec {
            spec: text.clone(),
            reason: error.to_string(),
            src: context.src.clone(),
            span,
        }
    })?;
    if uses_defaults_channel(&spec) {
        return Err(EnvFileError::DefaultsChannel {
            src: context.src.clone(),
            span,
        });
    }
    Ok(CondaDependency {
        spec,
        text,
        selector: None,
        span,
        line: context.text.line_of(span.offset()),
    })
}

fn uses_defaults_channel(spec: &MatchSpec) -> bool {
    spec.channel
        .as_ref()
        .and_then(|channel| channel.name.as_deref())
        .is_some_and(|name| name == "defaults")
}

fn is_pip_package(dependency: &CondaDependency) -> bool {
    dependency
        .spec
        .name
        .as_exact()
        .is_some_and(|name| name.as_normalized() == "pip")
}

/// Parses a mapping item of `dependencies`, which may only be `pip: [...]`.
fn parse_subsection(
    context: &Context<'_>,
    mapping: &MarkedMappingNode,
    pip_key: &mut Option<SourceSpan>,
    pip: &mut Vec<PipRequirement>,
) -> Result<(), EnvFileError> {
    for (key, value) in mapping.iter() {
        let key_span = context.text.scalar_span(key);
        if key.as_str() != "pip" {
            return Err(EnvFileError::UnsupportedSubsection {
                key: key.as_str().to_string(),
                src: context.src.clone(),
                span: key_span,
            });
        }
        if let Some(first_span) = *pip_key {
            return Err(EnvFileError::DuplicatePipSection {
                first_span,
                src: context.src.clone(),
                span: key_span,
            });
        }
        *pip_key = Some(key_span);
        pip.extend(pip_requirements(context, key, value)?);
    }
    Ok(())
}

fn pip_requirements(
    context: &Context<'_>,
    key: &MarkedScalarNode,
    value: &Node,
) -> Result<Vec<PipRequirement>, EnvFileError> {
    let Node::Sequence(items) = value else {
        return Err(context.wrong_type(
            "pip",
            "a list of requirement strings",
            yaml::describe(value),
            "write one `- requirement` line per package, indented under `- pip:`".to_string(),
            context.value_span(key, value),
        ));
    };
    let mut requirements = Vec::new();
    let spans = context.item_spans(value, items);
    for (item, span) in items.iter().zip(spans) {
        let (_, text) = context.string_item(item, "pip", "a requirement string", span)?;
        requirements.push(PipRequirement {
            text,
            selector: None,
            span,
            line: context.text.line_of(span.offset()),
        });
    }
    Ok(requirements)
}
