#include "closure/debian/file_selection.h"

#include <fnmatch.h>

#include <algorithm>
#include <string_view>

namespace ocitools {

const std::vector<std::string>& FileSelection::default_exclude_patterns() {
    // debuerreotype's slimify list and Ubuntu's minimize, as dpkg path-exclude filters.
    static const std::vector<std::string> patterns = {
        "/usr/share/doc/*",     "/usr/share/man/*",    "/usr/share/info/*",
        "/usr/share/lintian/*", "/usr/share/locale/*",
    };
    return patterns;
}

const std::vector<std::string>& FileSelection::default_include_patterns() {
    static const std::vector<std::string> patterns = {"/usr/share/doc/*/copyright"};
    return patterns;
}

Globs::Globs(const std::vector<std::string>& patterns) {
    for (const auto& pattern : patterns) {
        const size_t star = pattern.find('*');
        const bool simple = star != std::string::npos &&
                            pattern.find_first_of("*?[\\", star + 1) == std::string::npos &&
                            pattern.find_first_of("?[\\") == std::string::npos;
        globs_.push_back(Glob{&pattern, simple ? star : std::string::npos});
    }
}

bool Globs::any_matches(const std::string& path) const {
    return std::any_of(globs_.begin(), globs_.end(), [&](const Glob& glob) {
        if (glob.star == std::string::npos)
            return fnmatch(glob.pattern->c_str(), path.c_str(), 0) == 0;
        const std::string_view pattern(*glob.pattern);
        const std::string_view prefix = pattern.substr(0, glob.star);
        const std::string_view suffix = pattern.substr(glob.star + 1);
        return path.size() >= prefix.size() + suffix.size() && path.starts_with(prefix) &&
               path.ends_with(suffix);
    });
}

CompiledSelection::CompiledSelection(const FileSelection& selection)
    : default_excludes_(selection.default_excludes),
      excludes_(selection.excludes),
      default_exclude_(FileSelection::default_exclude_patterns()),
      default_include_(FileSelection::default_include_patterns()) {}

bool CompiledSelection::excluded(const std::string& path) const {
    if (excludes_.any_matches(path)) return true;
    return default_excludes_ && default_exclude_.any_matches(path) &&
           !default_include_.any_matches(path);
}

bool FileSelection::excluded(const std::string& path) const {
    return CompiledSelection(*this).excluded(path);
}

}  // namespace ocitools
