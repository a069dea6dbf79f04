/*
 * Stand-in for the xtb program in envlock's generated test channel.
 *
 * It looks up its GFN parameter file the way xtb does: in each directory
 * of XTBPATH, then in XTBHOME, then in the path compiled in at build time
 * (which does not exist after the package is installed elsewhere), and
 * fails like xtb when the file is not found.
 * Usage: xtb [--gfn 0|1|2] [FILE]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define BUILD_SHARE "/home/conda/feedstock_root/build_artifacts/xtb_1690903101049/_h_env/share/xtb"

static int try_dir(const char *directory, const char *file_name, char *found, size_t size) {
    FILE *file;
    snprintf(found, size, "%s/%s", directory, file_name);
    file = fopen(found, "r");
    if (!file) return 0;
    fclose(file);
    return 1;
}

int main(int argc, char **argv) {
    const char *gfn = "2", *env;
    char file_name[64], found[8192], buffer[8192];
    int i;

    for (i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--gfn") == 0 && i + 1 < argc) gfn = argv[++i];
    }
    snprintf(file_name, sizeof file_name, "param_gfn%s-xtb.txt", gfn);

    if ((env = getenv("XTBPATH")) != NULL) {
        char *directory;
        snprintf(buffer, sizeof buffer, "%s", env);
        for (directory = strtok(buffer, ":"); directory; directory = strtok(NULL, ":")) {
            if (try_dir(directory, file_name, found, sizeof found)) {
                printf(" xtb: parameter file %s (from XTBPATH)\n", found);
                return 0;
            }
        }
    }
    if ((env = getenv("XTBHOME")) != NULL && try_dir(env, file_name, found, sizeof found)) {
        printf(" xtb: parameter file %s (from XTBHOME)\n", found);
        return 0;
    }
    if (try_dir(BUILD_SHARE, file_name, found, sizeof found)) {
        printf(" xtb: parameter file %s (compiled-in default)\n", found);
        return 0;
    }
    printf("#ERROR! Parameter file '%s' not found in XTBPATH, XTBHOME or %s\n", file_name, BUILD_SHARE);
    printf(" abnormal termination of xtb\n");
    return 1;
}
