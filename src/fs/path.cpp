#include "fs/path.h"

#include <algorithm>

#include "base/error.h"

namespace ocitools {

std::string parent_path(const std::string& path) {
    const size_t slash = path.rfind('/');
    return slash == 0 || slash == std::string::npos ? "/" : path.substr(0, slash);
}

std::string_view runtime_mounted_dir(std::string_view path) {
    for (const std::string_view dir : {"/proc", "/sys", "/dev"})
        if (path.starts_with(dir) && (path.size() == dir.size() || path[dir.size()] == '/'))
            return dir;
    return {};
}

std::string join_path(const std::string& dir, const std::string& name) {
    const std::string joined = dir + "/" + name;  // outlives the views into it
    std::string out = "/";
    for (const std::string_view part : path_names(joined)) {
        if (out.size() > 1) out += '/';
        out += part;
    }
    return out;
}

std::string_view strip_root(std::string_view path) {
    const size_t first = path.find_first_not_of('/');
    return first == std::string_view::npos ? std::string_view() : path.substr(first);
}

PathSplit split_last(std::string_view path) {
    const size_t slash = path.rfind('/');
    if (slash == std::string_view::npos) return {".", path};
    return {slash == 0 ? path.substr(0, 1) : path.substr(0, slash), path.substr(slash + 1)};
}

std::vector<std::string_view> path_names(std::string_view path) {
    std::vector<std::string_view> names;
    for (size_t i = 0; i <= path.size();) {
        size_t j = path.find('/', i);
        if (j == std::string_view::npos) j = path.size();
        const std::string_view part = path.substr(i, j - i);
        if (!part.empty() && part != ".") names.push_back(part);
        i = j + 1;
    }
    return names;
}

CanonPath::CanonPath(std::string_view absolute) {
    if (absolute.empty() || absolute[0] != '/')
        throw Error("path " + quote(absolute) + " is not absolute");
    path_ = "/";
    for (const std::string_view name : path_names(absolute)) {
        if (name == "..") {
            path_.resize(std::max<size_t>(path_.rfind('/'), 1));
            continue;
        }
        if (path_.size() > 1) path_ += '/';
        path_ += name;
    }
}

std::string_view CanonPath::name() const {
    return std::string_view(path_).substr(path_.rfind('/') + 1);
}

CanonPath CanonPath::parent() const {
    return CanonPath(path_.substr(0, std::max<size_t>(path_.rfind('/'), 1)), Trusted{});
}

bool CanonPath::is_beneath(const CanonPath& dir) const {
    if (dir.is_root()) return !is_root();
    return path_.size() > dir.path_.size() && path_.starts_with(dir.path_) &&
           path_[dir.path_.size()] == '/';
}

std::vector<std::string> split_path_list(std::string_view list) {
    std::vector<std::string> out;
    for (size_t start = 0;;) {
        const size_t end = std::min(list.find(':', start), list.size());
        out.emplace_back(list.substr(start, end - start));
        if (end == list.size()) return out;
        start = end + 1;
    }
}

}  // namespace ocitools
