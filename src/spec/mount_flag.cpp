#include "spec/mount_flag.h"

#include "base/error.h"

namespace ocitools {

namespace {

std::vector<std::string> split(const std::string& s, char sep) {
    std::vector<std::string> parts;
    size_t start = 0;
    for (;;) {
        const size_t end = s.find(sep, start);
        parts.push_back(s.substr(start, end - start));
        if (end == std::string::npos) return parts;
        start = end + 1;
    }
}

MountSpec finish(MountSpec m, const std::string& flag) {
    if (m.destination.empty()) throw SpecError(flag + ": no destination given");
    if (m.source.empty()) throw SpecError(flag + ": no source given");
    add_bind_option(m);
    return m;
}

}  // namespace

MountSpec parse_mount_flag(const std::string& value) {
    const std::string flag = "--mount " + quote(value);
    MountSpec m;
    m.type = "bind";
    for (const auto& part : split(value, ',')) {
        const size_t eq = part.find('=');
        const std::string key = part.substr(0, eq);
        const std::string val = eq == std::string::npos ? "" : part.substr(eq + 1);
        if (key == "type") {
            m.type = val;
        } else if (key == "source" || key == "src") {
            m.source = val;
        } else if (key == "destination" || key == "dst" || key == "target") {
            m.destination = val;
        } else if (part == "ro" || part == "readonly" || part == "readonly=true") {
            m.options.push_back("ro");
        } else if (part == "rw" || part == "readonly=false") {
            m.options.push_back("rw");
        } else if (part.empty()) {
            throw SpecError(flag + ": empty field (two commas in a row?)");
        } else {
            m.options.push_back(part);  // a mount option: nosuid, rprivate, size=64m, mode=1777
        }
    }
    if (m.type.empty()) throw SpecError(flag + ": empty type");
    return finish(std::move(m), flag);
}

MountSpec parse_volume_flag(const std::string& value) {
    const std::string flag = "-v " + quote(value);
    const auto parts = split(value, ':');
    if (parts.size() < 2 || parts.size() > 3)
        throw SpecError(flag + ": expected SOURCE:DESTINATION[:ro]");
    MountSpec m;
    m.type = "bind";
    m.source = parts[0];
    m.destination = parts[1];
    if (parts.size() == 3) {
        for (const auto& o : split(parts[2], ',')) {
            if (o == "ro" || o == "rw")
                m.options.push_back(o);
            else
                throw SpecError(flag + ": unknown option " + quote(o) + " (expected ro or rw)");
        }
    }
    return finish(std::move(m), flag);
}

}  // namespace ocitools
