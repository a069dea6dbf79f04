//! Tests of the environment file reader through its public API.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};

use envlock::envfile::{
    CondaDependency, EnvFileError, EnvironmentFile, Platform, Selector, SelectorError,
};
use miette::{GraphicalReportHandler, GraphicalTheme, LabeledSpan, MietteDiagnostic, Report};

fn data_path(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/envfile")
        .join(name)
}

/// Reads a test input by a path relative to the crate, so diagnostics name the same
/// file on every machine.
fn load_data(name: &str) -> EnvironmentFile {
    let text = std::fs::read_to_string(data_path(name)).unwrap();
    let label = format!("tests/data/envfile/{name}");
    EnvironmentFile::from_source(&text, Path::new(&label)).unwrap()
}

fn parse(source: &str) -> Result<EnvironmentFile, EnvFileError> {
    EnvironmentFile::from_source(source, Path::new("environment.yml"))
}

fn render(diagnostic: &dyn miette::Diagnostic) -> String {
    let mut output = String::new();
    GraphicalReportHandler::new_themed(GraphicalTheme::unicode_nocolor())
        .with_width(100)
        .render_report(&mut output, diagnostic)
        .unwrap();
    output
}

fn texts(dependencies: &[&CondaDependency]) -> Vec<String> {
    dependencies
        .iter()
        .map(|dependency| dependency.text.clone())
        .collect()
}

/// Returns the source text a span points at.
fn spanned_text(source: &str, span: miette::SourceSpan) -> &str {
    &source[span.offset()..span.offset() + span.len()]
}

// ---------------------------------------------------------------------------
// Bad inputs

struct BadCase {
    name: &'static str,
    source: &'static str,
    message: &'static str,
    line: usize,
}

const BAD_CASES: &[BadCase] = &[
    BadCase {
        name: "malformed_yaml",
        source: "name: x\ndependencies:\n  - python\n  - [numpy\nchannels: [conda-forge]\n",
        message: "invalid YAML at line 5, column 9",
        line: 5,
    },
    BadCase {
        name: "unclosed_quote",
        source: "dependencies:\n  - \"python=3.11\n  - numpy\n",
        message: "invalid YAML at line 2, column 5",
        line: 2,
    },
    BadCase {
        name: "tab_indentation",
        source: "dependencies:\n\t- python\n",
        message: "tabs disallowed",
        line: 2,
    },
    BadCase {
        name: "unknown_key",
        source: "name: x\nchanels:\n  - conda-forge\ndependencies:\n  - python\n",
        message: "unknown top-level key `chanels`",
        line: 2,
    },
    BadCase {
        name: "conda_lock_category",
        source: "category: dev\ndependencies:\n  - pytest\n",
        message: "conda-lock category `dev` is not supported",
        line: 1,
    },
    BadCase {
        name: "conda_lock_extension_key",
        source:
            "pip-repositories:\n  - https://pypi.example.org/simple\ndependencies:\n  - pytest\n",
        message: "unknown top-level key `pip-repositories`",
        line: 1,
    },
    BadCase {
        name: "dependencies_is_string",
        source: "name: x\ndependencies: python=3.11\n",
        message: "`dependencies` must be a list of match specs, but it is a string",
        line: 2,
    },
    BadCase {
        name: "dependencies_is_mapping",
        source: "dependencies:\n  python: \"3.11\"\n  numpy: \"2\"\n",
        message: "`dependencies` must be a list of match specs, but it is a mapping",
        line: 2,
    },
    BadCase {
        name: "empty_dependencies_list",
        source: "name: x\ndependencies: []\n",
        message: "`dependencies` is empty",
        line: 2,
    },
    BadCase {
        name: "empty_dependencies_value",
        source: "name: x\ndependencies:\nchannels:\n  - conda-forge\n",
        message: "`dependencies` is empty",
        line: 2,
    },
    BadCase {
        name: "missing_dependencies",
        source: "name: x\nchannels:\n  - conda-forge\n",
        message: "has no `dependencies` key",
        line: 1,
    },
    BadCase {
        name: "match_spec_double_greater",
        source: "dependencies:\n  - python=3.11\n  - numpy>>1\n",
        message: "invalid match spec `numpy>>1`",
        line: 3,
    },
    BadCase {
        name: "match_spec_bare_equals",
        source: "dependencies:\n  - =\n",
        message: "invalid match spec `=`: missing package name",
        line: 2,
    },
    BadCase {
        name: "unknown_selector",
        source: "dependencies:\n  - python\n  - cudatoolkit  # [linux64 and cuda]\n",
        message: "unknown selector `cuda` in `# [linux64 and cuda]`",
        line: 3,
    },
    BadCase {
        name: "python_version_selector",
        source: "dependencies:\n  - python\n  - typing_extensions  # [py<38]\n",
        message: "invalid selector `# [py<38]`: unexpected character `<`",
        line: 3,
    },
    BadCase {
        name: "unclosed_selector_parenthesis",
        source: "dependencies:\n  - gcc  # [linux and (aarch64 or ppc64le]\n",
        message: "`(` is never closed",
        line: 2,
    },
    BadCase {
        name: "selector_on_channel",
        source: "channels:\n  - conda-forge  # [linux]\ndependencies:\n  - python\n",
        message: "selector `# [linux]` is not on a dependency line",
        line: 2,
    },
    BadCase {
        name: "selector_on_pip_key",
        source: "dependencies:\n  - pip\n  - pip:  # [linux]\n    - requests\n",
        message: "selector `# [linux]` is not on a dependency line",
        line: 3,
    },
    BadCase {
        name: "selector_on_flow_list",
        source: "dependencies: [python, cudatoolkit]  # [linux64]\n",
        message: "selector `# [linux64]` is not on a dependency line",
        line: 1,
    },
    BadCase {
        name: "defaults_channel",
        source: "channels:\n  - conda-forge\n  - defaults\ndependencies:\n  - python\n",
        message: "the `defaults` channel is not supported",
        line: 3,
    },
    BadCase {
        name: "defaults_channel_in_spec",
        source: "channels:\n  - conda-forge\ndependencies:\n  - zlib\n  - defaults::libgomp\n",
        message: "the `defaults` channel is not supported",
        line: 5,
    },
    BadCase {
        name: "channel_with_space",
        source: "channels:\n  - conda forge\ndependencies:\n  - python\n",
        message: "invalid channel `conda forge`",
        line: 2,
    },
    BadCase {
        name: "duplicate_channel",
        source:
            "channels:\n  - conda-forge\n  - bioconda\n  - conda-forge\ndependencies:\n  - python\n",
        message: "`conda-forge` is listed twice in `channels`",
        line: 4,
    },
    BadCase {
        name: "channels_is_string",
        source: "channels: conda-forge\ndependencies:\n  - python\n",
        message: "`channels` must be a list of channel names or URLs, but it is a string",
        line: 1,
    },
    BadCase {
        name: "unknown_platform",
        source: "platforms:\n  - linux-64\n  - linux-arm64\ndependencies:\n  - python\n",
        message: "unknown platform `linux-arm64`",
        line: 3,
    },
    BadCase {
        name: "noarch_platform",
        source: "platforms:\n  - noarch\ndependencies:\n  - python\n",
        message: "`noarch` is not a target platform",
        line: 2,
    },
    BadCase {
        name: "duplicate_platform",
        source: "platforms:\n  - linux-64\n  - linux-64\ndependencies:\n  - python\n",
        message: "`linux-64` is listed twice in `platforms`",
        line: 3,
    },
    BadCase {
        name: "variables_is_list",
        source: "variables:\n  - OMP_NUM_THREADS=1\ndependencies:\n  - python\n",
        message: "`variables` must be a mapping of variable names to values, but it is a list",
        line: 2,
    },
    BadCase {
        name: "variable_value_is_mapping",
        source: "variables:\n  OMP:\n    THREADS: 1\ndependencies:\n  - python\n",
        message: "`variables.OMP` must be a string, but it is a mapping",
        line: 3,
    },
    BadCase {
        name: "pip_is_string",
        source: "dependencies:\n  - pip\n  - pip: requests\n",
        message: "`pip` must be a list of requirement strings, but it is a string",
        line: 3,
    },
    BadCase {
        name: "two_pip_sections",
        source: "dependencies:\n  - pip\n  - pip:\n    - requests\n  - pip:\n    - flask\n",
        message: "more than one `pip:` subsection",
        line: 5,
    },
    BadCase {
        name: "unsupported_subsection",
        source: "dependencies:\n  - python\n  - conda:\n    - numpy\n",
        message: "unsupported subsection `conda`",
        line: 3,
    },
    BadCase {
        name: "dependency_is_number",
        source: "dependencies:\n  - python\n  - 3.11\n",
        message: "`dependencies` must be a match spec string, but it is a number",
        line: 3,
    },
    BadCase {
        name: "dependency_is_nested_list",
        source: "dependencies:\n  - python\n  - [numpy, scipy]\n",
        message: "`dependencies` must be a match spec or a `pip:` list, but it is a list",
        line: 3,
    },
    BadCase {
        name: "dependency_is_empty",
        source: "dependencies:\n  - python\n  -\n  - numpy\n",
        message: "empty entry in `dependencies`",
        line: 3,
    },
    BadCase {
        name: "pip_item_is_boolean",
        source: "dependencies:\n  - pip\n  - pip:\n    - true\n",
        message: "`pip` must be a requirement string, but it is a boolean",
        line: 4,
    },
    BadCase {
        name: "empty_file",
        source: "",
        message: "the environment file is empty",
        line: 1,
    },
    BadCase {
        name: "only_comments",
        source: "# An environment file\n\n# with nothing in it\n",
        message: "the environment file is empty",
        line: 1,
    },
    BadCase {
        name: "duplicate_key",
        source: "dependencies:\n  - python\nchannels:\n  - conda-forge\ndependencies:\n  - numpy\n",
        message: "duplicate key `dependencies`",
        line: 5,
    },
    BadCase {
        name: "top_level_list",
        source: "- python\n- numpy\n",
        message: "must be a mapping, but this file has a list",
        line: 1,
    },
    BadCase {
        name: "second_document",
        source: "dependencies:\n  - python\n---\ndependencies:\n  - numpy\n",
        message: "more than one YAML document",
        line: 3,
    },
    BadCase {
        name: "yaml_anchor",
        source: "dependencies:\n  - &py python\n  - *py\n",
        message: "YAML anchors (`&name`) and aliases (`*name`) are not supported",
        line: 2,
    },
    BadCase {
        name: "name_is_null",
        source: "name:\ndependencies:\n  - python\n",
        message: "`name` must be a string, but it is null",
        line: 1,
    },
];

#[test]
fn bad_inputs_report_message_and_line() {
    assert!(BAD_CASES.len() >= 20);
    for case in BAD_CASES {
        let error = match parse(case.source) {
            Ok(_) => panic!("case {} parsed without error", case.name),
            Err(error) => error,
        };
        let rendered = render(&error);
        assert!(
            error.to_string().contains(case.message),
            "case {}: message {:?} does not contain {:?}",
            case.name,
            error.to_string(),
            case.message
        );
        assert_eq!(error.line(), Some(case.line), "case {}: line", case.name);
        assert!(
            rendered.contains("help:"),
            "case {}: no help in\n{rendered}",
            case.name
        );
        insta::with_settings!({ description => case.source, omit_expression => true }, {
            insta::assert_snapshot!(format!("bad_{}", case.name), rendered);
        });
    }
}

#[test]
fn bad_inputs_render_file_position() {
    let error = parse("dependencies:\n  - python\n  - numpy>>1\n").unwrap_err();
    let rendered = render(&error);
    assert!(rendered.contains("[environment.yml:3:5]"), "{rendered}");
}

#[test]
fn unknown_selector_points_at_name() {
    let source = "dependencies:\n  - cudatoolkit  # [linux64 and cuda]\n";
    let error = parse(source).unwrap_err();
    let span = error.span().unwrap();
    assert_eq!(spanned_text(source, span), "cuda");
    assert!(matches!(
        error,
        EnvFileError::UnknownSelector { ref selector, .. } if selector == "cuda"
    ));
}

#[test]
fn unknown_key_suggests_close_key() {
    let error = parse("platform:\n  - linux-64\ndependencies:\n  - python\n").unwrap_err();
    let rendered = render(&error);
    assert!(rendered.contains("did you mean `platforms`?"), "{rendered}");
}

#[test]
fn unknown_platform_suggests_subdir() {
    let error = parse("platforms:\n  - linux-arm64\ndependencies:\n  - python\n").unwrap_err();
    let rendered = render(&error);
    assert!(
        rendered.contains("did you mean `linux-aarch64`?"),
        "{rendered}"
    );
}

#[test]
fn missing_file_names_path() {
    let path = Path::new("tests/data/envfile/does-not-exist.yml");
    let error = EnvironmentFile::from_path(path).unwrap_err();
    assert!(matches!(error, EnvFileError::Io { .. }));
    assert!(error.to_string().contains("does-not-exist.yml"));
    assert_eq!(error.line(), None);
    insta::assert_snapshot!("bad_missing_file", render(&error));
}

#[test]
fn defaults_error_explains_terms() {
    let error = parse("channels:\n  - defaults\ndependencies:\n  - python\n").unwrap_err();
    let rendered = render(&error);
    assert!(rendered.contains("terms of service"), "{rendered}");
    assert!(rendered.contains("conda-forge"), "{rendered}");
}

// ---------------------------------------------------------------------------
// Good inputs

#[test]
fn reference_environment_parses() {
    let env = load_data("worker.yaml");
    assert_eq!(env.name.as_deref(), Some("base"));

    let channels: Vec<&str> = env.channels.iter().map(|c| c.value.as_str()).collect();
    assert_eq!(channels, ["conda-forge"]);
    assert_eq!(env.channels[0].line, 3);

    let platforms: Vec<Platform> = env.platforms.iter().map(|p| p.value).collect();
    assert_eq!(platforms, [Platform::LinuxAarch64, Platform::Linux64]);
    assert_eq!(env.platforms[0].line, 5);
    assert_eq!(env.platforms[1].line, 6);

    let expected = [
        "python=3.11",
        "nwchem=7.3.1",
        "xtb=6.7.1",
        "crest=3.0.2",
        "rdkit=2025.09.5",
        "matplotlib>=3.10.0",
        "pandas>=2.3.3",
        "scipy>=1.17.0",
        "statsmodels>=0.14.0",
        "pip",
    ];
    let all: Vec<&CondaDependency> = env.dependencies.iter().collect();
    assert_eq!(texts(&all), expected);
    assert_eq!(env.dependencies[0].line, 8);
    assert_eq!(env.dependencies[9].line, 17);
    assert!(env.dependencies.iter().all(|d| d.selector.is_none()));

    let pip: Vec<&str> = env.pip.iter().map(|p| p.text.as_str()).collect();
    assert_eq!(pip, ["huey>=2.6.0", "jinja2>=3.1.0"]);
    assert_eq!(env.pip[0].line, 19);
    assert!(env.variables.is_empty());
}

#[test]
fn reference_environment_specs_have_conda_meaning() {
    let env = load_data("worker.yaml");
    let version = |index: usize| {
        env.dependencies[index]
            .spec
            .version
            .as_ref()
            .map(|version| version.to_string())
    };
    assert_eq!(version(0).as_deref(), Some("3.11.*"));
    assert_eq!(version(1).as_deref(), Some("7.3.1.*"));
    // conda compares version components as numbers, so `09` and `9` are equal.
    assert_eq!(version(4).as_deref(), Some("2025.9.5.*"));
    assert_eq!(version(5).as_deref(), Some(">=3.10.0"));
    assert_eq!(version(9), None);

    let name = env.dependencies[0].spec.name.as_exact().unwrap();
    assert_eq!(name.as_normalized(), "python");
}

#[test]
fn reference_environment_same_for_both_platforms() {
    let env = load_data("worker.yaml");
    let arm = env.conda_specs_for(Platform::LinuxAarch64);
    let x86 = env.conda_specs_for(Platform::Linux64);
    assert_eq!(arm.len(), 10);
    assert_eq!(texts(&arm), texts(&x86));
    assert_eq!(env.pip_requirements_for(Platform::LinuxAarch64).len(), 2);
}

#[test]
fn from_path_matches_from_source() {
    let path = data_path("worker.yaml");
    let from_path = EnvironmentFile::from_path(&path).unwrap();
    assert_eq!(from_path.path, path);
    assert_eq!(from_path.dependencies.len(), 10);
    assert_eq!(from_path.pip.len(), 2);
}

#[test]
fn spans_cover_written_text() {
    let source = std::fs::read_to_string(data_path("selectors.yaml")).unwrap();
    let env = parse(&source).unwrap();
    for dependency in &env.dependencies {
        let written = spanned_text(&source, dependency.span);
        assert_eq!(written.trim_matches('"'), dependency.text);
    }
    for requirement in &env.pip {
        let written = spanned_text(&source, requirement.span);
        assert_eq!(written.trim_matches('"'), requirement.text);
    }
    for channel in &env.channels {
        assert_eq!(spanned_text(&source, channel.span), channel.value);
    }
}

#[test]
fn channel_prefixed_spec_keeps_channel() {
    let env = parse("dependencies:\n  - conda-forge::numpy >=1.26\n").unwrap();
    let dependency = &env.dependencies[0];
    assert_eq!(dependency.text, "conda-forge::numpy >=1.26");
    let channel = dependency.spec.channel.as_ref().unwrap();
    assert_eq!(channel.name.as_deref(), Some("conda-forge"));
    assert_eq!(
        dependency.spec.name.as_exact().unwrap().as_normalized(),
        "numpy"
    );
}

#[test]
fn bracket_build_spec_parses() {
    let env = parse("dependencies:\n  - numpy\n  - blas[build=mkl]\n").unwrap();
    let spec = &env.dependencies[1].spec;
    assert_eq!(spec.name.as_exact().unwrap().as_normalized(), "blas");
    assert_eq!(spec.build.as_ref().unwrap().to_string(), "mkl");
}

#[test]
fn version_and_build_string_parse() {
    let env = parse("dependencies:\n  - pkg 1.2 build_0\n  - python==3.11\n").unwrap();
    let spec = &env.dependencies[0].spec;
    assert_eq!(spec.version.as_ref().unwrap().to_string(), "==1.2");
    assert_eq!(spec.build.as_ref().unwrap().to_string(), "build_0");
    let exact = &env.dependencies[1].spec;
    assert_eq!(exact.version.as_ref().unwrap().to_string(), "==3.11");
}

#[test]
fn single_equals_means_prefix_match() {
    let env = parse("dependencies:\n  - python=3.11\n").unwrap();
    let version = env.dependencies[0].spec.version.as_ref().unwrap();
    assert_eq!(version.to_string(), "3.11.*");
}

#[test]
fn nodefaults_is_dropped() {
    let env =
        parse("channels:\n  - nodefaults\n  - conda-forge\ndependencies:\n  - python\n").unwrap();
    let channels: Vec<&str> = env.channels.iter().map(|c| c.value.as_str()).collect();
    assert_eq!(channels, ["conda-forge"]);
    assert_eq!(env.channels[0].line, 3);
}

#[test]
fn channel_url_kept_as_written() {
    let source =
        "channels:\n  - https://conda.anaconda.org/conda-forge/\n  - ./local-channel\ndependencies:\n  - python\n";
    let env = parse(source).unwrap();
    let channels: Vec<&str> = env.channels.iter().map(|c| c.value.as_str()).collect();
    assert_eq!(
        channels,
        ["https://conda.anaconda.org/conda-forge/", "./local-channel"]
    );
}

#[test]
fn empty_channel_list_is_allowed() {
    let env = parse("channels: []\ndependencies:\n  - python\n").unwrap();
    assert!(env.channels.is_empty());
    let env = parse("dependencies:\n  - python\n").unwrap();
    assert!(env.channels.is_empty());
    assert!(env.platforms.is_empty());
    assert_eq!(env.name, None);
}

#[test]
fn variables_and_prefix_are_read() {
    let source = "name: x\nprefix: /opt/conda\nvariables:\n  OMP_NUM_THREADS: 1\n  LABEL: \"a # b\"\ndependencies:\n  - python\n";
    let env = parse(source).unwrap();
    assert_eq!(env.variables.len(), 2);
    assert_eq!(env.variables["OMP_NUM_THREADS"], "1");
    assert_eq!(env.variables["LABEL"], "a # b");
}

#[test]
fn main_category_is_accepted() {
    let env = parse("category: main\ndependencies:\n  - python\n").unwrap();
    assert_eq!(env.dependencies.len(), 1);
}

#[test]
fn pip_only_dependencies_are_allowed() {
    let env = parse("dependencies:\n  - pip:\n    - six\n").unwrap();
    assert!(env.dependencies.is_empty());
    assert_eq!(env.pip.len(), 1);
}

#[test]
fn selectors_filter_per_platform() {
    let env = load_data("selectors.yaml");

    let linux64 = env.conda_specs_for(Platform::Linux64);
    assert_eq!(
        texts(&linux64),
        [
            "python=3.11",
            "cudatoolkit",
            "posix",
            "numpy # [win]",
            "scipy",
            "pip"
        ]
    );

    let aarch64 = env.conda_specs_for(Platform::LinuxAarch64);
    assert_eq!(
        texts(&aarch64),
        [
            "python=3.11",
            "libgfortran5",
            "posix",
            "numpy # [win]",
            "scipy",
            "pip"
        ]
    );

    let osx_arm64 = env.conda_specs_for(Platform::OsxArm64);
    assert_eq!(
        texts(&osx_arm64),
        [
            "python=3.11",
            "posix",
            "clang_osx-arm64",
            "numpy # [win]",
            "scipy",
            "pip"
        ]
    );

    let win64 = env.conda_specs_for(Platform::Win64);
    assert_eq!(
        texts(&win64),
        ["python=3.11", "m2-base", "numpy # [win]", "pip"]
    );
}

#[test]
fn selector_text_and_lines_are_kept() {
    let env = load_data("selectors.yaml");
    let selectors: Vec<(usize, Option<&str>)> = env
        .dependencies
        .iter()
        .map(|d| (d.line, d.selector.as_ref().map(Selector::as_str)))
        .collect();
    assert_eq!(
        selectors,
        [
            (12, None),
            (13, Some("linux64")),
            (14, Some("linux and aarch64")),
            (15, Some("not win")),
            (16, Some("osx and arm64")),
            (17, Some("win")),
            (18, None),
            (19, Some("linux or osx")),
            (20, None),
        ]
    );
}

#[test]
fn hash_inside_quotes_is_not_selector() {
    let env = load_data("selectors.yaml");
    let numpy = &env.dependencies[6];
    assert_eq!(numpy.text, "numpy # [win]");
    assert!(numpy.selector.is_none());
    assert_eq!(numpy.spec.name.as_exact().unwrap().as_normalized(), "numpy");

    let url = &env.pip[2];
    assert!(url.text.ends_with("#sha256=0123"));
    assert!(url.selector.is_none());

    let env =
        parse("dependencies:\n  - \"numpy # [win]\"  # [linux]\n  - pip:\n    - 'it''s # [osx]'\n")
            .unwrap();
    let selector = env.dependencies[0].selector.as_ref().unwrap();
    assert_eq!(selector.as_str(), "linux");
    assert_eq!(env.pip[0].text, "it's # [osx]");
    assert!(env.pip[0].selector.is_none());
}

#[test]
fn pip_selectors_filter_per_platform() {
    let env = load_data("selectors.yaml");
    let pip_texts = |platform| -> Vec<String> {
        env.pip_requirements_for(platform)
            .iter()
            .map(|requirement| requirement.text.clone())
            .collect()
    };

    let linux = pip_texts(Platform::LinuxAarch64);
    assert_eq!(linux.len(), 2);
    assert_eq!(linux[0], "uvloop");

    let windows = pip_texts(Platform::Win64);
    assert_eq!(windows.len(), 2);
    assert_eq!(windows[0], "pywin32 ; sys_platform == 'win32'");

    let osx = pip_texts(Platform::OsxArm64);
    assert_eq!(osx.len(), 2);
}

#[test]
fn selectors_with_crlf_line_endings() {
    let source = "dependencies:\r\n  - cudatoolkit  # [linux64]\r\n  - python\r\n";
    let env = parse(source).unwrap();
    assert_eq!(
        env.dependencies[0].selector.as_ref().unwrap().as_str(),
        "linux64"
    );
    assert_eq!(env.dependencies[1].line, 3);
    assert_eq!(spanned_text(source, env.dependencies[1].span), "python");
    assert_eq!(env.conda_specs_for(Platform::LinuxAarch64).len(), 1);
}

#[test]
fn spans_are_bytes_after_unicode() {
    let source = "# Umgebung für Ärzte ✓\nname: ünïcode\ndependencies:\n  - numpy  # [linux]\n";
    let env = parse(source).unwrap();
    let dependency = &env.dependencies[0];
    assert_eq!(spanned_text(source, dependency.span), "numpy");
    assert_eq!(dependency.line, 4);
    assert_eq!(env.name.as_deref(), Some("ünïcode"));
}

#[test]
fn byte_order_mark_is_skipped() {
    let env = parse("\u{feff}name: x\ndependencies:\n  - python\n").unwrap();
    assert_eq!(env.name.as_deref(), Some("x"));
    assert_eq!(env.dependencies[0].line, 3);
}

#[test]
fn block_scalar_comment_is_content() {
    let source = "variables:\n  NOTE: >-\n    keep  # [linux]\ndependencies:\n  - python\n";
    let env = parse(source).unwrap();
    assert_eq!(env.variables["NOTE"], "keep  # [linux]");
}

#[test]
fn multiline_variable_is_rejected() {
    let source = "variables:\n  NOTE: |\n    one\n    two\ndependencies:\n  - python\n";
    let error = parse(source).unwrap_err();
    assert!(error.to_string().contains("NOTE"), "{error}");
    assert_eq!(error.line(), Some(2));
}

#[test]
fn comment_without_brackets_is_ignored() {
    let source = "name: x  # a plain comment\ndependencies:\n  - mamba <2.6.0  # pinned, see (docs)\n  - geogif  # brings in dask(-/_)core\n";
    let env = parse(source).unwrap();
    assert!(env.dependencies.iter().all(|d| d.selector.is_none()));
}

#[test]
fn selector_public_api() {
    let selector = Selector::parse(" linux and not aarch64 ").unwrap();
    assert_eq!(selector.as_str(), "linux and not aarch64");
    assert!(selector.matches(Platform::Linux64));
    assert!(!selector.matches(Platform::LinuxAarch64));
    assert!(!selector.matches(Platform::Win64));

    let error = Selector::parse("linux or cuda").unwrap_err();
    assert!(matches!(error, SelectorError::UnknownName { ref name, .. } if name == "cuda"));
    assert_eq!(error.range(), 9..13);

    for name in [
        "linux", "linux32", "linux64", "aarch64", "ppc64le", "arm64", "osx", "osx64",
    ] {
        assert!(Selector::known_names().contains(&name), "{name}");
    }
    for name in ["win", "win32", "win64", "unix", "x86", "x86_64"] {
        assert!(Selector::known_names().contains(&name), "{name}");
    }
}

#[test]
fn caller_diagnostic_points_at_dependency() {
    let env = load_data("worker.yaml");
    let xtb = &env.dependencies[2];
    let diagnostic = MietteDiagnostic::new("`xtb=6.7.1` is unsatisfiable on linux-aarch64")
        .with_label(LabeledSpan::at(xtb.span, "requested here"));
    let report = Report::new(diagnostic).with_source_code(env.named_source());
    let rendered = format!("{report:?}");
    assert!(rendered.contains("worker.yaml:10:5"), "{rendered}");
    assert!(rendered.contains("requested here"), "{rendered}");
}

// ---------------------------------------------------------------------------
// Robustness

/// A small deterministic generator, so failures reproduce.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self, bound: usize) -> usize {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        ((self.0 >> 33) as usize) % bound
    }
}

#[test]
fn mutated_inputs_never_panic() {
    let base = std::fs::read_to_string(data_path("selectors.yaml")).unwrap();
    let pieces = [
        "-",
        ":",
        "[",
        "]",
        "{",
        "}",
        "#",
        "\"",
        "'",
        "\t",
        "\n",
        " ",
        "&a",
        "*a",
        "!!str ",
        "|",
        ">",
        "---\n",
        "...\n",
        "é",
        "\r",
        "# [",
        "(",
        ")",
        "not ",
        "\u{feff}",
        "%YAML 1.2\n",
    ];
    let mut random = Lcg(7);
    let mut panics = Vec::new();
    for round in 0..3000 {
        let mut text: Vec<char> = base.chars().collect();
        for _ in 0..1 + random.next(4) {
            let position = random.next(text.len() + 1);
            if random.next(2) == 0 && position < text.len() {
                text.remove(position);
            } else {
                let piece = pieces[random.next(pieces.len())];
                for (offset, character) in piece.chars().enumerate() {
                    text.insert(position + offset, character);
                }
            }
        }
        let mutated: String = text.into_iter().collect();
        let outcome = catch_unwind(AssertUnwindSafe(|| {
            if let Err(error) = parse(&mutated) {
                render(&error);
            }
        }));
        if outcome.is_err() {
            panics.push((round, mutated));
        }
    }
    assert!(panics.is_empty(), "inputs that panicked: {panics:#?}");
}
