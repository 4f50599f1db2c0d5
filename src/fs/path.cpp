#include "fs/path.h"

namespace ocitools {

std::string parent_path(const std::string& path) {
    const size_t slash = path.rfind('/');
    return slash == 0 || slash == std::string::npos ? "/" : path.substr(0, slash);
}

std::string join_path(const std::string& dir, const std::string& name) {
    const std::string joined = dir + "/" + name;
    std::string out = "/";
    for (size_t i = 0; i < joined.size();) {
        size_t j = joined.find('/', i);
        if (j == std::string::npos) j = joined.size();
        const std::string_view part(joined.data() + i, j - i);
        i = j + 1;
        if (part.empty() || part == ".") continue;
        if (out.size() > 1) out += '/';
        out += part;
    }
    return out;
}

}  // namespace ocitools
