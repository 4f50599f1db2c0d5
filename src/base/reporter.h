// Where the library sends what the user should see but that is not an error: deprecation
// warnings, the files pulled in from arguments. The CLI prints these on stderr; tests collect them.
#pragma once

#include <functional>
#include <string>
#include <utility>

namespace ocitools {

class Reporter {
  public:
    using Sink = std::function<void(const std::string&)>;

    Reporter() = default;
    Reporter(Sink warn, Sink note) : warn_(std::move(warn)), note_(std::move(note)) {}

    void warn(const std::string& message) const {
        if (warn_) warn_(message);
    }
    void note(const std::string& message) const {
        if (note_) note_(message);
    }

  private:
    Sink warn_;
    Sink note_;
};

}  // namespace ocitools
