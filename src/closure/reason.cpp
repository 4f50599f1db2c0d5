#include "closure/reason.h"

namespace ocitools {

std::string Reason::str() const {
    std::string out;
    out.reserve(text.size() + object.size());
    out.append(text).append(object);
    return out;
}

void Reasons::record(const std::string& path, const Reason& reason) const {
    if (!why_ || (reason.text.empty() && reason.object.empty())) return;
    if (!why_->emplace(path, reason.str()).second) return;
    // Parents were recorded with the first path beneath them: stop at the first one known.
    for (size_t slash = path.rfind('/'); slash != std::string::npos && slash > 0;
         slash = path.rfind('/', slash - 1))
        if (!why_->emplace(path.substr(0, slash), "directory holding " + path).second) break;
}

}  // namespace ocitools
