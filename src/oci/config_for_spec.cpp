#include "oci/config_for_spec.h"

#include <unistd.h>

#include <algorithm>

#include "base/error.h"
#include "fs/path.h"
#include "oci/minimal_etc.h"
#include "spec/capabilities.h"

namespace ocitools {

HostIds HostIds::current() {
    return {geteuid(), getegid()};
}

bool is_rootless(const ContainerSpec& spec, const HostIds& builder) {
    return spec.rootless.value_or(builder.uid != 0);
}

ResolvedUser resolve_process_user(const ContainerSpec& spec,
                                  const std::optional<std::string>& passwd,
                                  const std::optional<std::string>& group) {
    if (!spec.user) return {};
    try {
        return resolve_user(*spec.user, passwd.value_or(minimal_passwd(0, 0)),
                            group.value_or(minimal_group(0)), "--user");
    } catch (const SpecError& e) {
        const std::string why = e.what();
        const bool ours = (!passwd && why.find("/etc/passwd") != std::string::npos) ||
                          (!group && why.find("/etc/group") != std::string::npos);
        if (!ours) throw;
        throw SpecError(why +
                        " (the closure brings none; ocitools writes one with only root and "
                        "nobody: give numeric ids, or --include the file)");
    }
}

// Every mount thus comes after the mounts above it (runtime-spec config.md: mounts are made in
// order, and a later mount on /a would hide one on /a/b).
void merge_mounts(std::vector<oci::Mount>& mounts, const std::vector<MountSpec>& user) {
    for (const auto& m : user) {
        oci::Mount mount{m.destination, m.type, m.source, m.options};
        const CanonPath dest(m.destination);
        auto same = std::find_if(mounts.begin(), mounts.end(), [&](const oci::Mount& x) {
            return CanonPath(x.destination) == dest;
        });
        if (same != mounts.end()) {
            *same = std::move(mount);
            continue;
        }
        auto child = std::find_if(mounts.begin(), mounts.end(), [&](const oci::Mount& x) {
            return CanonPath(x.destination).is_beneath(dest);
        });
        mounts.insert(child, std::move(mount));
    }
}

oci::RuntimeConfig runtime_config_for(const ContainerSpec& spec,
                                      const std::vector<std::string>& env,
                                      const ConfigInputs& inputs) {
    oci::RuntimeConfig config = oci::default_config();
    const bool rootless = is_rootless(spec, inputs.builder);
    if (rootless) oci::make_rootless(config, inputs.builder.uid, inputs.builder.gid);

    auto& process = config.process;
    process.args = spec.args;
    process.terminal = spec.terminal;
    process.env = env;
    process.cwd = spec.cwd.value_or("/");

    const ResolvedUser user =
        inputs.user ? *inputs.user : resolve_process_user(spec, std::nullopt, std::nullopt);
    if (rootless && (user.uid != 0 || user.gid != 0))
        throw SpecError("--user " + quote(spec.user ? spec.user->to_string() : "") + " (uid " +
                        std::to_string(user.uid) + ", gid " + std::to_string(user.gid) +
                        "): a rootless bundle maps only container root (0:0) to the invoking "
                        "user; build with --rootless=false for a runtime run as root");
    process.user = {user.uid, user.gid};

    process.capabilities =
        capability_sets(default_capabilities(), spec.cap_add, spec.cap_drop, user.uid == 0);

    config.hostname = spec.hostname;
    config.root.readonly = spec.readonly;
    for (const auto& m : spec.mounts)
        for (const auto& option : m.options)
            if (oci::has_unmapped_id_option(config, option))
                throw SpecError("mount " + quote(m.destination) + ": option " + option +
                                " names an id a rootless bundle does not map (only 0 is)");
    merge_mounts(config.mounts, spec.mounts);
    return config;
}

}  // namespace ocitools
