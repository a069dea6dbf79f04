//! Console scripts from `entry_points.txt` and `#!python` shebangs of
//! scripts shipped in `.data/scripts/`.

/// Linux's limit for a `#!` line (`BINPRM_BUF_SIZE` is 256 since Linux 5.1,
/// 128 before). pip uses 127 bytes as well.
const MAX_SHEBANG: usize = 127;

/// A console or GUI script declared in `entry_points.txt`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct EntryPoint {
    pub(crate) name: String,
    pub(crate) module: String,
    pub(crate) attribute: String,
}

/// Reads the `[console_scripts]` and `[gui_scripts]` sections. On Linux
/// both become ordinary scripts.
pub(crate) fn parse_entry_points(text: &str) -> Result<Vec<EntryPoint>, String> {
    let mut entry_points = Vec::new();
    let mut in_scripts = false;
    for line in text.lines() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') || line.starts_with(';') {
            continue;
        }
        if line.starts_with('[') {
            let section = line.trim_start_matches('[').trim_end_matches(']').trim();
            in_scripts = section == "console_scripts" || section == "gui_scripts";
            continue;
        }
        if !in_scripts {
            continue;
        }
        let (name, value) = line
            .split_once('=')
            .ok_or_else(|| format!("entry point line `{line}` has no `=`"))?;
        // Extras (`module:attr [extra]`) only select dependencies.
        let value = value.split('[').next().unwrap_or("").trim();
        let (module, attribute) = value
            .split_once(':')
            .ok_or_else(|| format!("entry point `{line}` is not `name = module:attribute`"))?;
        let name = name.trim();
        if name.is_empty() || name.contains('/') || name == "." || name == ".." {
            return Err(format!(
                "entry point name `{name}` is not a valid file name"
            ));
        }
        let valid_path = |text: &str| {
            !text.is_empty()
                && text.split('.').all(|part| {
                    !part.is_empty() && part.chars().all(|c| c.is_alphanumeric() || c == '_')
                })
        };
        let (module, attribute) = (module.trim(), attribute.trim());
        if !valid_path(module) || !valid_path(attribute) {
            return Err(format!(
                "entry point `{line}` does not name a Python module and attribute"
            ));
        }
        entry_points.push(EntryPoint {
            name: name.to_string(),
            module: module.to_string(),
            attribute: attribute.to_string(),
        });
    }
    Ok(entry_points)
}

/// Writes the first lines that run a script with `python`. Long paths and
/// paths with spaces get a `/bin/sh` line that re-executes the file with
/// Python (the same form pip and uv write), others a plain `#!` line.
pub(crate) fn shebang(python: &str) -> String {
    let direct = format!("#!{python}");
    if direct.len() <= MAX_SHEBANG && !python.contains(' ') {
        return format!("{direct}\n");
    }
    format!("#!/bin/sh\n'''exec' '{python}' \"$0\" \"$@\"\n' '''\n")
}

/// Renders a console script, modelled on pip's launcher script.
pub(crate) fn console_script(python: &str, entry_point: &EntryPoint) -> String {
    let import_name = entry_point
        .attribute
        .split('.')
        .next()
        .unwrap_or(&entry_point.attribute);
    format!(
        "{shebang}# -*- coding: utf-8 -*-\nimport re\nimport sys\nfrom {module} import {import_name}\nif __name__ == \"__main__\":\n    sys.argv[0] = re.sub(r\"(-script\\.pyw|\\.exe)?$\", \"\", sys.argv[0])\n    sys.exit({attribute}())\n",
        shebang = shebang(python),
        module = entry_point.module,
        attribute = entry_point.attribute,
    )
}

/// Replaces a `#!python` or `#!pythonw` first line (as wheels write it for
/// `.data/scripts/`) by the target interpreter. Other files are returned
/// unchanged.
pub(crate) fn rewrite_script(content: &[u8], python: &str) -> Vec<u8> {
    let line_end = content
        .iter()
        .position(|&byte| byte == b'\n')
        .unwrap_or(content.len());
    let first = &content[..line_end];
    let arguments = if let Some(rest) = first.strip_prefix(b"#!pythonw") {
        rest
    } else if let Some(rest) = first.strip_prefix(b"#!python") {
        rest
    } else {
        return content.to_vec();
    };
    let arguments = String::from_utf8_lossy(arguments)
        .trim_end_matches('\r')
        .to_string();
    let mut output = shebang(python)
        .trim_end_matches('\n')
        .to_string()
        .into_bytes();
    if !arguments.trim().is_empty()
        && output.starts_with(b"#!/")
        && !output.starts_with(b"#!/bin/sh\n")
    {
        output.extend_from_slice(arguments.as_bytes());
    }
    output.push(b'\n');
    if line_end < content.len() {
        output.extend_from_slice(&content[line_end + 1..]);
    }
    output
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_entry_points_sections() {
        let text = "[console_scripts]\ntqdm = tqdm.cli:main\nother = pkg.mod:obj.run [extra]\n\n[other]\nx = y:z\n[gui_scripts]\ngui = app:start\n";
        let points = parse_entry_points(text).unwrap();
        let names: Vec<_> = points.iter().map(|point| point.name.as_str()).collect();
        assert_eq!(names, ["tqdm", "other", "gui"]);
        assert_eq!(points[1].attribute, "obj.run");
    }

    #[test]
    fn parse_entry_points_rejects_paths() {
        assert!(parse_entry_points("[console_scripts]\n../evil = a:b\n").is_err());
        assert!(parse_entry_points("[console_scripts]\nx = a;import os:b\n").is_err());
    }

    #[test]
    fn console_script_uses_target_python() {
        let point = EntryPoint {
            name: "tqdm".into(),
            module: "tqdm.cli".into(),
            attribute: "main".into(),
        };
        let script = console_script("/opt/env/bin/python", &point);
        assert!(script.starts_with("#!/opt/env/bin/python\n"));
        assert!(script.contains("from tqdm.cli import main\n"));
        assert!(script.contains("sys.exit(main())"));
    }

    #[test]
    fn long_shebang_uses_sh() {
        let python = format!("/{}/bin/python", "x".repeat(130));
        assert!(shebang(&python).starts_with("#!/bin/sh\n'''exec' '/xxx"));
    }

    #[test]
    fn rewrite_script_replaces_python_line() {
        let rewritten = rewrite_script(b"#!python -u\nprint(1)\n", "/opt/env/bin/python");
        assert_eq!(rewritten, b"#!/opt/env/bin/python -u\nprint(1)\n");
        assert_eq!(
            rewrite_script(b"#!/bin/sh\necho\n", "/p"),
            b"#!/bin/sh\necho\n"
        );
    }
}
