// Lexical operations on paths, as the closure, the writer and the config handle them. Nothing
// here looks at the filesystem: symlinks are resolved elsewhere, by the kernel or the closure.
#pragma once

#include <compare>
#include <string>
#include <string_view>
#include <vector>

namespace ocitools {

// path_resolution(7): a lookup that meets more symlinks than this fails with ELOOP. Whoever
// follows symlinks by hand gives up at the same count.
inline constexpr int kSymlinkLimit = 40;

// Lexically join and clean an absolute path: collapse "//" and ".", keep "..".
std::string join_path(const std::string& dir, const std::string& name);

// The directory part of an absolute path: "/usr/bin" for "/usr/bin/x", "/" for "/x" and "/".
std::string parent_path(const std::string& path);

// `path` without its leading slashes: "usr/bin/x" for "/usr/bin/x", "" for "/". The form the
// *at(2) calls take to name a path relative to a directory descriptor.
std::string_view strip_root(std::string_view path);

// A path cut at its last '/': {"/usr/bin", "x"} for "/usr/bin/x", {"/", "x"} for "/x",
// {"usr", "x"} for "usr/x", and {".", "x"} for "x" (a bare name lies in the directory at hand).
struct PathSplit {
    std::string_view dir;
    std::string_view name;
};
PathSplit split_last(std::string_view path);

// The names of a path in order, without the empty ones and ".": {"a", "..", "b"} for
// "/a//./../b/". ".." is kept: what it means depends on symlinks, which only a lookup knows.
std::vector<std::string_view> path_names(std::string_view path);

// The entries of a colon-separated list of directories (PATH, DT_RUNPATH), in order, empty
// ones included: "a::b" gives {"a", "", "b"}, "" gives {""}.
std::vector<std::string> split_path_list(std::string_view list);

// The directory an OCI runtime mounts a kernel filesystem on (/proc, /sys or /dev: runtime-spec
// config-linux.md "Default Filesystems", runc's default mounts) that `path` is or lies beneath,
// or an empty view. What a bundle holds there is hidden at run time, and what the host holds
// there (its /proc/cpuinfo, its devices) is no file to copy. `path` is absolute and holds no
// symlink: /etc/mtab, a symlink into /proc, is not beneath /proc.
std::string_view runtime_mounted_dir(std::string_view path);

// An absolute, lexically normal path, like Nix's CanonPath: parsed once, then trusted. "//",
// "." and a trailing slash are dropped and ".." removes the name before it ("/.." is "/"), as
// std::filesystem::path::lexically_normal does; "/a/./b/" and "/a/b" are the same CanonPath.
// For paths compared as names (mount destinations), never for paths a lookup resolves.
class CanonPath {
  public:
    // Throws Error naming `absolute` when it is empty or relative.
    explicit CanonPath(std::string_view absolute);
    static CanonPath root() { return CanonPath("/"); }

    const std::string& str() const { return path_; }
    bool is_root() const { return path_.size() == 1; }
    // The last name: "b" for "/a/b", "" for "/".
    std::string_view name() const;
    // The directory holding it: "/a" for "/a/b", "/" for "/a" and for "/".
    CanonPath parent() const;
    // Without the leading slash: "a/b" for "/a/b", "" for "/".
    std::string_view relative() const { return std::string_view(path_).substr(1); }
    // Strictly below `dir`: "/a/b" is beneath "/a", "/ab" and "/a" are not; all but "/" is
    // beneath "/".
    bool is_beneath(const CanonPath& dir) const;

    auto operator<=>(const CanonPath&) const = default;

  private:
    struct Trusted {};
    CanonPath(std::string normal, Trusted) : path_(std::move(normal)) {}
    std::string path_;
};

}  // namespace ocitools
