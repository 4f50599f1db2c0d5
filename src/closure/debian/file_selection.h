// FileSelection: which of a package's listed paths to leave out, as dpkg(1)'s --path-exclude and
// --path-include filters decide.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

namespace ocitools {

// Which of the listed paths to leave out (dpkg(1) --path-exclude / --path-include semantics:
// fnmatch(3) with no flags, so '*' also matches '/').
struct FileSelection {
    // Drop what Debian's minimal images drop (their /etc/dpkg/dpkg.cfg.d filters): documentation,
    // manual and info pages, lintian overrides and translations, but keep every
    // /usr/share/doc/*/copyright (licences require it).
    bool default_excludes = true;
    // More patterns to drop, e.g. "/usr/lib/python3*/test/*". They win over the copyright rule.
    std::vector<std::string> excludes;

    static const std::vector<std::string>& default_exclude_patterns();
    static const std::vector<std::string>& default_include_patterns();
    // Whether `path` (as the package lists it) is left out.
    bool excluded(const std::string& path) const;
};

// fnmatch(pattern, path, 0) for a list of patterns (which must outlive it), without fnmatch for
// the usual ones: with no flags '*' matches any bytes, '/' included, so a pattern whose one
// metacharacter is a single '*' matches exactly the paths that start with what precedes it and
// end with what follows it.
class Globs {
  public:
    explicit Globs(const std::vector<std::string>& patterns);
    bool any_matches(const std::string& path) const;

  private:
    struct Glob {
        const std::string* pattern;
        size_t star;  // of a pattern whose only metacharacter it is; else npos
    };
    std::vector<Glob> globs_;
};

// FileSelection::excluded with its patterns analysed once, for the many paths of a package set.
// `selection` must outlive it.
class CompiledSelection {
  public:
    explicit CompiledSelection(const FileSelection& selection);
    bool excluded(const std::string& path) const;

  private:
    bool default_excludes_;
    Globs excludes_, default_exclude_, default_include_;
};

}  // namespace ocitools
