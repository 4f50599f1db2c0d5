#include "spec/link_mode.h"

#include "base/enum_names.h"

namespace ocitools {

namespace {

constexpr EnumName<LinkMode> kLinkModes[] = {
    {LinkMode::Copy, "copy"}, {LinkMode::Hardlink, "hardlink"}, {LinkMode::Auto, "auto"}};

}  // namespace

LinkMode parse_link_mode(const std::string& value, const std::string& key) {
    return parse_named(kLinkModes, value, key, "link mode");
}

const char* to_string(LinkMode mode) {
    return name_of(kLinkModes, mode);
}

}  // namespace ocitools
