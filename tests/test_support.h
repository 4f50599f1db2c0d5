// Helpers shared by the unit tests: a temporary directory that removes itself, file writers.
#pragma once

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

namespace ocitools::testing {

class ScratchDir {
  public:
    ScratchDir() {
        std::string pattern =
            (std::filesystem::temp_directory_path() / "ocitools-test-XXXXXX").string();
        if (!mkdtemp(pattern.data())) std::abort();
        path_ = pattern;
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
