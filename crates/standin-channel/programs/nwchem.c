/*
 * Stand-in for the nwchem program in envlock's generated test channel.
 *
 * It resolves the basis-set library the way nwchem does and fails like
 * nwchem when it cannot, so tests can tell an activated environment from
 * one that was never activated. Search order, first hit wins:
 *   1. NWCHEM_BASIS_LIBRARY (the library name is appended to the value as
 *      is, so a directory works only with a trailing slash);
 *   2. nwchem_basis_library in ~/.nwchemrc, then /etc/nwchemrc, then
 *      $CONDA_PREFIX/etc/default.nwchemrc;
 *   3. the path compiled in at build time, which does not exist after
 *      the package is installed elsewhere.
 * Library files are named with "s" for each "*" ("6-31g*" is "6-31gs"),
 * as in nwchem's own libraries directory.
 * Usage: nwchem INPUT, where INPUT has a line "* library NAME".
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define BUILD_LIBRARY "/home/conda/feedstock_root/build_artifacts/nwchem_1700075244727/work/src/basis/libraries/"

static int rc_library(const char *rc_path, char *out, size_t size) {
    FILE *rc = fopen(rc_path, "r");
    char line[4096];
    if (!rc) return 0;
    while (fgets(line, sizeof line, rc)) {
        char key[256], value[3800];
        if (sscanf(line, "%255s %3799s", key, value) == 2 && strcmp(key, "nwchem_basis_library") == 0) {
            snprintf(out, size, "%s", value);
            fclose(rc);
            return 1;
        }
    }
    fclose(rc);
    return 0;
}

static int find_library_name(const char *input_path, char *name, size_t size) {
    FILE *input = fopen(input_path, "r");
    char line[4096];
    if (!input) return 0;
    while (fgets(line, sizeof line, input)) {
        char star[8], keyword[64], value[512];
        if (sscanf(line, "%7s %63s %511s", star, keyword, value) == 3 && strcmp(keyword, "library") == 0) {
            snprintf(name, size, "%s", value);
            fclose(input);
            return 1;
        }
    }
    fclose(input);
    return 0;
}

int main(int argc, char **argv) {
    char name[512], library[4096], source[4352], rc_path[4096], file[8192];
    const char *env;
    FILE *basis;

    if (argc < 2) {
        fprintf(stderr, "usage: nwchem INPUT\n");
        return 2;
    }
    if (!find_library_name(argv[1], name, sizeof name)) {
        fprintf(stderr, "input_parse: no basis library named in %s\n", argv[1]);
        return 2;
    }

    if ((env = getenv("NWCHEM_BASIS_LIBRARY")) != NULL) {
        snprintf(library, sizeof library, "%s", env);
        snprintf(source, sizeof source, "NWCHEM_BASIS_LIBRARY");
    } else if ((env = getenv("HOME")) != NULL &&
               (snprintf(rc_path, sizeof rc_path, "%s/.nwchemrc", env), rc_library(rc_path, library, sizeof library))) {
        snprintf(source, sizeof source, "%s", rc_path);
    } else if (rc_library("/etc/nwchemrc", library, sizeof library)) {
        snprintf(source, sizeof source, "/etc/nwchemrc");
    } else if ((env = getenv("CONDA_PREFIX")) != NULL &&
               (snprintf(rc_path, sizeof rc_path, "%s/etc/default.nwchemrc", env), rc_library(rc_path, library, sizeof library))) {
        snprintf(source, sizeof source, "%s", rc_path);
    } else {
        snprintf(library, sizeof library, "%s", BUILD_LIBRARY);
        snprintf(source, sizeof source, "compiled-in default");
    }

    for (char *star = strchr(name, '*'); star; star = strchr(star, '*')) *star = 's';
    snprintf(file, sizeof file, "%s%s", library, name);
    basis = fopen(file, "r");
    if (!basis) {
        printf(" ------------------------------------------------------------------------\n");
        printf(" bas_input: could not open basis library file %s (library from %s)\n", file, source);
        printf(" ------------------------------------------------------------------------\n");
        printf(" For more information see the NWChem manual at https://nwchemgit.github.io\n");
        return 1;
    }
    fclose(basis);
    printf(" basis library: %s (from %s)\n", library, source);
    printf(" basis set \"%s\" loaded from %s\n", name, file);
    printf(" Total times  cpu:        0.0s     wall:        0.0s\n");
    return 0;
}
