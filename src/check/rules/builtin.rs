//! envlock's built-in content rules, one data table with the reason for each.

use rattler_conda_types::PackageName;

use super::{ContentRule, RuleLevel};

/// One row of the built-in table.
struct BuiltinRule {
    id: &'static str,
    package: &'static str,
    path: &'static str,
    min_count: usize,
    text_prefix: bool,
    level: RuleLevel,
    reason: &'static str,
}

/// The built-in rules.
///
/// The xtb rows follow xtb's `use_parameterset` (grimme-lab/xtb,
/// `src/gfn_paramset.f90`): when a parameter file is not found on `XTBPATH`,
/// xtb 6.x falls back to compiled-in parameters for GFN1-xTB and GFN2-xTB but
/// returns "not found" for GFN0-xTB. conda-forge's xtb 6.6.1 ships only
/// `share/xtb/.param_gfnff.xtb` in that directory, so it fails the GFN0 rule.
const BUILTIN_RULES: &[BuiltinRule] = &[
    BuiltinRule {
        id: "nwchem-basis-library",
        package: "nwchem",
        path: "share/nwchem/libraries/**",
        min_count: 1,
        text_prefix: false,
        level: RuleLevel::Error,
        reason: "NWChem loads named basis sets (sto-3g, 6-31g*, cc-pvdz, ...) from the directory that \
                 nwchem_basis_library names; conda-forge's nwchem 7.2.2 ships 608 files there",
    },
    BuiltinRule {
        id: "nwchem-nwpw-library",
        package: "nwchem",
        path: "share/nwchem/libraryps/**",
        min_count: 1,
        text_prefix: false,
        level: RuleLevel::Error,
        reason: "NWChem's plane-wave module (NWPW) loads pseudopotentials from the directory that \
                 nwchem_nwpw_library names",
    },
    BuiltinRule {
        id: "nwchem-default-nwchemrc",
        package: "nwchem",
        path: "etc/default.nwchemrc",
        min_count: 1,
        text_prefix: true,
        level: RuleLevel::Error,
        reason: "etc/default.nwchemrc names the basis-set and pseudopotential libraries by absolute path; \
                 unless the package marks it as a text prefix-replacement file, the installed copy keeps \
                 the build machine's paths",
    },
    BuiltinRule {
        id: "xtb-param-gfn0",
        package: "xtb",
        path: "share/xtb/param_gfn0-xtb.txt",
        min_count: 1,
        text_prefix: false,
        level: RuleLevel::Error,
        reason: "xtb 6.x has no compiled-in GFN0-xTB parameters: `xtb --gfn 0` reads param_gfn0-xtb.txt \
                 from a directory on XTBPATH (or the working directory) and fails without it",
    },
    BuiltinRule {
        id: "xtb-param-gfn1",
        package: "xtb",
        path: "share/xtb/param_gfn1-xtb.txt",
        min_count: 1,
        text_prefix: false,
        level: RuleLevel::Warning,
        reason: "xtb 6.x uses compiled-in GFN1-xTB parameters when param_gfn1-xtb.txt is not on XTBPATH, \
                 so a missing file is only a warning",
    },
    BuiltinRule {
        id: "xtb-param-gfn2",
        package: "xtb",
        path: "share/xtb/param_gfn2-xtb.txt",
        min_count: 1,
        text_prefix: false,
        level: RuleLevel::Warning,
        reason: "xtb 6.x uses compiled-in GFN2-xTB parameters when param_gfn2-xtb.txt is not on XTBPATH, \
                 so a missing file is only a warning",
    },
];

/// Returns the built-in rules.
pub fn builtin_rules() -> Vec<ContentRule> {
    BUILTIN_RULES
        .iter()
        .filter_map(|row| {
            let rule = ContentRule::new(
                row.id,
                PackageName::new_unchecked(row.package),
                row.path,
                row.reason,
            );
            // The table is constant; a bad glob is caught by the test below.
            rule.ok().map(|rule| {
                rule.with_min_count(row.min_count)
                    .with_text_prefix(row.text_prefix)
                    .with_level(row.level)
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_row_builds() {
        assert_eq!(builtin_rules().len(), BUILTIN_RULES.len());
    }

    #[test]
    fn ids_are_unique() {
        let mut ids: Vec<&str> = BUILTIN_RULES.iter().map(|r| r.id).collect();
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(ids.len(), BUILTIN_RULES.len());
    }
}
