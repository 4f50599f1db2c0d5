// Shebang: what a script's `#!` line makes the kernel run (execve(2), "Interpreter scripts"):
// the interpreter path, and, for `#!/usr/bin/env NAME` and `#!/usr/bin/env -S NAME ARGS`, the
// NAME that env(1) will look up on PATH.
#pragma once

#include <optional>
#include <string>

namespace ocitools {

struct Shebang {
    std::string interpreter;  // the path after "#!"
    std::string argument;     // the rest of the line, as one argument (Linux passes it whole)
    // For env: the program it runs, a bare name to look up on PATH (or a path).
    std::optional<std::string> env_program;
};

// The kernel reads at most this many bytes of a `#!` line (BINPRM_BUF_SIZE).
inline constexpr size_t kShebangMax = 256;

// Parse the first bytes of a file; nullopt when it does not start with "#!" or names nothing.
std::optional<Shebang> parse_shebang(const std::string& head);

// True for programs whose real dependencies are modules loaded at run time (python, perl, ...).
bool is_known_interpreter(const std::string& program);

}  // namespace ocitools
