// Helpers shared by the unit tests: a temporary directory that removes itself, file writers,
// running a shell command for its output. A test file takes them, and the other support
// headers' (closure/nix/nix_test_support.h, closure/debian/dpkg_test_support.h,
// fs/memory_trees.h), with `using namespace ocitools::testing;`.
#pragma once

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <stdexcept>
#include <string>

namespace ocitools::testing {

namespace fs = std::filesystem;

class ScratchDir {
  public:
    ScratchDir() {
        std::string pattern =
            (std::filesystem::temp_directory_path() / "ocitools-test-XXXXXX").string();
        if (!mkdtemp(pattern.data())) std::abort();
        // Without symlinks on the way (TMPDIR may hold one): the writers refuse a planned
        // file's path that has one, as the closure never plans such a path.
        path_ = std::filesystem::canonical(pattern);
    }
    ~ScratchDir() {
        std::error_code ec;
        std::filesystem::remove_all(path_, ec);
    }
    ScratchDir(const ScratchDir&) = delete;
    ScratchDir& operator=(const ScratchDir&) = delete;

    const std::filesystem::path& path() const { return path_; }
    std::filesystem::path operator/(const std::string& name) const { return path_ / name; }

  private:
    std::filesystem::path path_;
};

inline void write_text(const std::filesystem::path& path, const std::string& text) {
    std::filesystem::create_directories(path.parent_path());
    std::ofstream(path, std::ios::binary) << text;
}

inline std::string read_text(const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), {});
}

// The standard output of `sh -c command`. Throws when it cannot be started; the exit status is
// the caller's to check through what was printed.
inline std::string run_output(const std::string& command) {
    std::unique_ptr<FILE, int (*)(FILE*)> pipe(popen(command.c_str(), "r"), pclose);
    if (!pipe) throw std::runtime_error("popen failed: " + command);
    std::string out;
    char buffer[4096];
    for (size_t n; (n = std::fread(buffer, 1, sizeof buffer, pipe.get())) > 0;)
        out.append(buffer, n);
    return out;
}

// Whether the system C compiler is there (tests that build real ELF objects need it).
inline bool have_compiler() {
    return std::system("cc --version >/dev/null 2>&1") == 0;
}

// Expect `statement` to throw an ocitools::Error whose message contains `needle`.
#define EXPECT_ERROR_CONTAINS(statement, ExceptionType, needle)                               \
    do {                                                                                      \
        try {                                                                                 \
            statement;                                                                        \
            ADD_FAILURE() << "expected " #ExceptionType " containing \"" << (needle) << "\""; \
        } catch (const ExceptionType& e) {                                                    \
            EXPECT_NE(std::string(e.what()).find(needle), std::string::npos)                  \
                << "message: " << e.what();                                                   \
        }                                                                                     \
    } while (0)

}  // namespace ocitools::testing
