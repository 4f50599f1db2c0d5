// Runs one command traced, as `--trace` does, and nothing else: what bench/trace.sh times
// against the untraced command and against strace. Usage: trace_run PROGRAM [ARG...]
#include <cstdio>
#include <cstdlib>

#include "trace/trace.h"

int main(int argc, char** argv) {
    if (argc < 2 || argv[1][0] != '/') {
        std::fprintf(stderr, "usage: trace_run /ABSOLUTE/PROGRAM [ARG...]\n");
        return 2;
    }
    ocitools::TraceRequest request;
    request.argv.assign(argv + 1, argv + argc);
    request.env = {"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"};
    const auto result = ocitools::trace_run(request, ocitools::Reporter());
    std::fprintf(stderr, "%zu paths, exit %d\n", result.accesses.size(), result.exit_code);
    return result.exit_code;
}
