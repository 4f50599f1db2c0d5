// The container process's user, as `--user` / spec `user` give it: "UID[:GID]" with numbers, or
// names ("NAME[:GROUP]") looked up in the rootfs's /etc/passwd and /etc/group, as runc, podman
// and docker do (a name means nothing outside the container's own files).
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace ocitools {

struct UserSpec {
    std::string user;                  // a uid or a user name; never empty
    std::optional<std::string> group;  // a gid or a group name

    // Parse "USER[:GROUP]"; `key` names the flag or spec key in errors.
    static UserSpec parse(const std::string& value, const std::string& key);
    std::string to_string() const { return group ? user + ":" + *group : user; }
    bool operator==(const UserSpec&) const = default;
};

struct ResolvedUser {
    std::uint32_t uid = 0;
    std::uint32_t gid = 0;
    std::optional<std::string> name;  // the passwd name, when the uid has an entry
    bool operator==(const ResolvedUser&) const = default;
};

// A decimal id below 2^32 - 1 ((uid_t)-1 means "no change" to setuid(2)), else nullopt.
std::optional<std::uint32_t> parse_id(const std::string& text);

// Resolve against the texts of /etc/passwd and /etc/group. A numeric user without a group takes
// the gid of its passwd entry, or 0 without one (docker's rule). Throws SpecError naming `key`
// for a name that has no entry.
ResolvedUser resolve_user(const UserSpec& spec, const std::string& passwd, const std::string& group,
                          const std::string& key);

}  // namespace ocitools
