#include "spec/process_user.h"

#include <charconv>
#include <sstream>
#include <vector>

#include "base/error.h"

namespace ocitools {

namespace {

// The fields of the lines of a colon-separated database (passwd(5), group(5)); comments and
// blank lines skipped.
std::vector<std::vector<std::string>> records(const std::string& text) {
    std::vector<std::vector<std::string>> out;
    std::istringstream in(text);
    std::string line;
    while (std::getline(in, line)) {
        if (line.empty() || line[0] == '#') continue;
        std::vector<std::string> fields;
        size_t start = 0;
        for (;;) {
            const size_t colon = line.find(':', start);
            fields.push_back(line.substr(start, colon - start));
            if (colon == std::string::npos) break;
            start = colon + 1;
        }
        out.push_back(std::move(fields));
    }
    return out;
}

// The record whose name (field 0) or id (field 2) matches.
const std::vector<std::string>* find_record(const std::vector<std::vector<std::string>>& db,
                                            const std::string& name,
                                            std::optional<std::uint32_t> id) {
    for (const auto& r : db) {
        if (r.size() < 3) continue;
        if (id ? parse_id(r[2]) == id : r[0] == name) return &r;
    }
    return nullptr;
}

}  // namespace

std::optional<std::uint32_t> parse_id(const std::string& text) {
    std::uint32_t value = 0;
    const char* end = text.data() + text.size();
    auto [ptr, ec] = std::from_chars(text.data(), end, value);
    if (text.empty() || ec != std::errc() || ptr != end || value == UINT32_MAX) return std::nullopt;
    return value;
}

UserSpec UserSpec::parse(const std::string& value, const std::string& key) {
    UserSpec spec;
    const size_t colon = value.find(':');
    spec.user = value.substr(0, colon);
    if (colon != std::string::npos) spec.group = value.substr(colon + 1);
    const auto bad_name = [](const std::string& s) {
        return s.empty() || s.find_first_of(":\n") != std::string::npos ||
               (s[0] >= '0' && s[0] <= '9' && !parse_id(s));
    };
    if (bad_name(spec.user) || (spec.group && bad_name(*spec.group)))
        throw SpecError(key + " " + quote(value) +
                        ": expected UID[:GID] (numbers below 4294967295) or NAME[:GROUP]");
    return spec;
}

ResolvedUser resolve_user(const UserSpec& spec, const std::string& passwd, const std::string& group,
                          const std::string& key) {
    ResolvedUser out;
    const auto users = records(passwd);
    const auto uid = parse_id(spec.user);
    const auto* entry = find_record(users, spec.user, uid);
    if (uid) {
        out.uid = *uid;
    } else {
        if (!entry)
            throw SpecError(key + " " + quote(spec.to_string()) + ": no user " + quote(spec.user) +
                            " in the rootfs's /etc/passwd");
        const auto id = parse_id((*entry)[2]);
        if (!id)
            throw SpecError(key + " " + quote(spec.to_string()) + ": /etc/passwd entry of " +
                            quote(spec.user) + " has a bad uid " + quote((*entry)[2]));
        out.uid = *id;
    }
    if (entry) {
        out.name = (*entry)[0];
        if (entry->size() > 3) out.gid = parse_id((*entry)[3]).value_or(0);
    }
    if (!spec.group) return out;
    if (const auto gid = parse_id(*spec.group)) {
        out.gid = *gid;
        return out;
    }
    const auto groups = records(group);  // named: find_record points into it
    const auto* g = find_record(groups, *spec.group, std::nullopt);
    const auto gid = g ? parse_id((*g)[2]) : std::nullopt;
    if (!gid)
        throw SpecError(key + " " + quote(spec.to_string()) + ": no group " + quote(*spec.group) +
                        " in the rootfs's /etc/group");
    out.gid = *gid;
    return out;
}

}  // namespace ocitools
