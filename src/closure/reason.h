// Why a path is in the closure (`ocitools closure --why`): the first reason each container path
// entered for, recorded as the walk adds it. A Reason is two views, composed into a string only
// when reasons are recorded, so a walk that does not ask for them builds no strings.
#pragma once

#include <map>
#include <string>
#include <string_view>

namespace ocitools {

struct Reason {
    std::string_view text;    // "DT_NEEDED of ", "include", "symlink on the way to "
    std::string_view object;  // what the text names ("/usr/bin/git"), or empty

    std::string str() const;
};

// Records into a map from container path to reason; does nothing without one. The first
// reason of a path wins; an empty reason records nothing (the path gets one later). Recording a path also records each directory above it that has no
// reason yet as "directory holding PATH": the rootfs writer creates those parents.
class Reasons {
  public:
    explicit Reasons(std::map<std::string, std::string>* why = nullptr) : why_(why) {}

    bool enabled() const { return why_ != nullptr; }
    void record(const std::string& path, const Reason& reason) const;

  private:
    std::map<std::string, std::string>* why_;
};

}  // namespace ocitools
