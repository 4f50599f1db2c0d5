#include "spec/link_mode.h"

#include "base/error.h"

namespace ocitools {

LinkMode parse_link_mode(const std::string& value, const std::string& key) {
    if (value == "copy") return LinkMode::Copy;
    if (value == "hardlink") return LinkMode::Hardlink;
    if (value == "auto") return LinkMode::Auto;
    throw SpecError(key + ": " + quote(value) + " is not a link mode (expected copy, hardlink or auto)");
}

const char* to_string(LinkMode mode) {
    switch (mode) {
        case LinkMode::Copy:
            return "copy";
        case LinkMode::Hardlink:
            return "hardlink";
        case LinkMode::Auto:
            return "auto";
    }
    return "?";
}

}  // namespace ocitools
