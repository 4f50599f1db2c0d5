// The one error policy of the library: functions throw an ocitools::Error (or a subclass) whose
// message is a complete, one-line sentence naming the culprit (a path, a JSON key, a soname) and
// the cause. Only src/cli turns these into exit codes.
#pragma once

#include <filesystem>
#include <stdexcept>
#include <string>

namespace ocitools {

class Error : public std::runtime_error {
  public:
    using std::runtime_error::runtime_error;
};

// The user's request is wrong: a spec key, a flag, a program name.
class SpecError : public Error {
  public:
    using Error::Error;
};

// A system call failed. The message is "<what> <path>: <strerror(err)>".
class SystemError : public Error {
  public:
    SystemError(const std::string& what, const std::filesystem::path& path, int err);
    int code() const noexcept { return code_; }

  private:
    int code_;
};

// A file on the host is not what the closure needs it to be (unreadable ELF, missing library...).
class ClosureError : public Error {
  public:
    using Error::Error;
};

// A malformed or truncated ELF object or ld.so.cache.
class FormatError : public Error {
  public:
    using Error::Error;
};

// Quote a path or string for an error message so that spaces and control bytes stay visible.
std::string quote(std::string_view s);

}  // namespace ocitools
