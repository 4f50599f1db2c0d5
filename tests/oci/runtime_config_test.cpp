#include "oci/runtime_config.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "base/error.h"
#include "bundle/bundle.h"
#include "oci/config_for_spec.h"
#include "roots/roots.h"
#include "test_support.h"
#include "validate/bundle_validator.h"

namespace ocitools {
namespace {

const std::string kGoldenDir = std::string(OCITOOLS_TEST_DATA) + "/golden";

ContainerSpec golden_spec() {
    ContainerSpec spec;
    spec.args = {"/bin/busybox", "sh", "-c", "echo hello"};
    spec.readonly = true;
    spec.mounts = {{"/data", "bind", "/srv/data", {"rbind", "ro"}},
                   {"/dev/shm", "tmpfs", "shm", {"nosuid", "nodev", "size=128m"}}};
    return spec;
}

// Regenerate with OCITOOLS_UPDATE_GOLDEN=1 after a deliberate change, and review the diff.
TEST(RuntimeConfig, GoldenFile) {
    const std::string text = oci::serialize(runtime_config_for(golden_spec(), container_environment(golden_spec())));
    const std::string golden_path = kGoldenDir + "/config.json";
    if (std::getenv("OCITOOLS_UPDATE_GOLDEN")) testing::write_text(golden_path, text);
    EXPECT_EQ(text, testing::read_text(golden_path));
}

TEST(RuntimeConfig, IsDeterministic) {
    const auto a = oci::serialize(runtime_config_for(golden_spec(), container_environment(golden_spec())));
    const auto b = oci::serialize(runtime_config_for(golden_spec(), container_environment(golden_spec())));
    EXPECT_EQ(a, b);
}

TEST(RuntimeConfig, SeedDefaultsAndNoPlatform) {
    ContainerSpec spec;
    spec.args = {"/bin/busybox"};
    const auto j = nlohmann::json::parse(oci::serialize(runtime_config_for(spec, container_environment(spec))));
    EXPECT_TRUE(is_semver(j["ociVersion"].get<std::string>()));
    EXPECT_FALSE(j.contains("platform"));
    EXPECT_EQ(j["process"]["cwd"], "/");
    EXPECT_EQ(j["process"]["user"]["uid"], 0);
    EXPECT_EQ(j["process"]["env"][0],
              "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
    EXPECT_EQ(j["root"]["path"], "rootfs");
    EXPECT_EQ(j["root"]["readonly"], false);
    std::vector<std::string> destinations, namespaces;
    for (const auto& m : j["mounts"]) destinations.push_back(m["destination"]);
    for (const auto& ns : j["linux"]["namespaces"]) namespaces.push_back(ns["type"]);
    EXPECT_EQ(destinations, (std::vector<std::string>{"/proc", "/dev", "/dev/pts", "/dev/shm",
                                                      "/dev/mqueue", "/sys", "/sys/fs/cgroup"}));
    EXPECT_EQ(namespaces, (std::vector<std::string>{"pid", "network", "mount", "ipc", "uts"}));
    EXPECT_TRUE(j["process"].contains("capabilities"));
}

TEST(RuntimeConfig, UserMountsFollowSystemMountsAndReplaceSameDestinationInPlace) {
    const auto config = runtime_config_for(golden_spec(), container_environment(golden_spec()));
    ASSERT_EQ(config.mounts.size(), 8u);
    EXPECT_EQ(config.mounts[3].destination, "/dev/shm");
    EXPECT_EQ(config.mounts[3].options.back(), "size=128m");
    EXPECT_EQ(config.mounts[6].destination, "/sys/fs/cgroup");
    EXPECT_EQ(config.mounts[7].destination, "/data");
}

std::vector<std::string> destinations(const oci::RuntimeConfig& config) {
    std::vector<std::string> out;
    for (const auto& m : config.mounts) out.push_back(m.destination);
    return out;
}

TEST(RuntimeConfig, MountsComeAfterTheMountsAboveThem) {
    ContainerSpec spec;
    spec.args = {"/bin/busybox"};
    for (const char* d : {"/sys/fs", "/mnt/a", "/mnt", "/dev", "/dev/pts/x"})
        add_mount(spec.mounts, {d, "tmpfs", "tmpfs", {}});
    // /dev replaces the system /dev in place, so /dev/pts is still mounted on top of it; /sys/fs
    // goes before /sys/fs/cgroup, which it would hide; /dev/pts/x after /dev/pts.
    EXPECT_EQ(
        destinations(runtime_config_for(spec, container_environment(spec))),
        (std::vector<std::string>{"/proc", "/dev", "/dev/pts", "/dev/shm", "/dev/mqueue", "/sys",
                                  "/sys/fs", "/sys/fs/cgroup", "/dev/pts/x", "/mnt", "/mnt/a"}));
    const auto config = runtime_config_for(spec, container_environment(spec));
    for (size_t i = 0; i < config.mounts.size(); ++i)
        for (size_t j = i + 1; j < config.mounts.size(); ++j)
            EXPECT_FALSE(
                config.mounts[i].destination.starts_with(config.mounts[j].destination + "/"))
                << config.mounts[i].destination << " before its parent "
                << config.mounts[j].destination;
}

TEST(RuntimeConfig, SecureDefaultsAsRuncSpec) {
    ContainerSpec spec;
    spec.args = {"/bin/busybox"};
    const auto j = nlohmann::json::parse(oci::serialize(runtime_config_for(spec, container_environment(spec))));
    const auto& p = j["process"];
    const std::vector<std::string> caps = {"CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"};
    EXPECT_EQ(p["capabilities"]["bounding"], caps);
    EXPECT_EQ(p["capabilities"]["effective"], caps);
    EXPECT_EQ(p["capabilities"]["permitted"], caps);
    EXPECT_FALSE(p["capabilities"].contains("ambient"));
    EXPECT_FALSE(p["capabilities"].contains("inheritable"));
    EXPECT_EQ(p["noNewPrivileges"], true);
    ASSERT_EQ(p["rlimits"].size(), 1u);
    EXPECT_EQ(p["rlimits"][0],
              (nlohmann::json{{"type", "RLIMIT_NOFILE"}, {"hard", 1024}, {"soft", 1024}}));
    EXPECT_EQ(
        j["linux"]["maskedPaths"],
        (std::vector<std::string>{"/proc/acpi", "/proc/asound", "/proc/kcore", "/proc/keys",
                                  "/proc/latency_stats", "/proc/timer_list", "/proc/timer_stats",
                                  "/proc/sched_debug", "/sys/firmware", "/proc/scsi"}));
    EXPECT_EQ(j["linux"]["readonlyPaths"],
              (std::vector<std::string>{"/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys",
                                        "/proc/sysrq-trigger"}));
    // Unset settings are omitted.
    EXPECT_FALSE(j.contains("hostname"));
    EXPECT_FALSE(j["linux"].contains("uidMappings"));
}

TEST(RuntimeConfig, DroppingEveryCapabilityStillWritesTheObject) {
    // An absent process.capabilities would let runc keep its own; an empty one grants none.
    ContainerSpec spec;
    spec.args = {"/bin/busybox"};
    spec.cap_drop = {"ALL"};
    const auto j = nlohmann::json::parse(oci::serialize(runtime_config_for(spec, container_environment(spec))));
    EXPECT_EQ(j["process"]["capabilities"], nlohmann::json::object());
}

TEST(RuntimeConfig, ProcessSettings) {
    ContainerSpec spec;
    spec.args = {"/bin/busybox"};
    spec.env = {"FOO=bar", "PATH=/opt/bin"};
    spec.cwd = "/work";
    spec.user = UserSpec{"1000", "100"};
    spec.hostname = "box";
    spec.terminal = true;
    spec.cap_add = {"CAP_NET_RAW"};
    const auto config = runtime_config_for(spec, container_environment(spec));
    EXPECT_EQ(config.process.env,
              (std::vector<std::string>{"PATH=/opt/bin", "FOO=bar", "TERM=xterm"}));
    EXPECT_EQ(config.process.cwd, "/work");
    EXPECT_EQ(config.process.user, (oci::User{1000, 100}));
    EXPECT_EQ(config.hostname, "box");
    EXPECT_TRUE(config.process.terminal);
    // A non-root user keeps only what it was given explicitly, through the ambient set.
    EXPECT_EQ(config.process.capabilities->ambient, (std::vector<std::string>{"CAP_NET_RAW"}));
    EXPECT_EQ(config.process.capabilities->inheritable, (std::vector<std::string>{"CAP_NET_RAW"}));

    spec.env = {"TERM=dumb"};
    EXPECT_EQ(runtime_config_for(spec, container_environment(spec)).process.env.back(), "TERM=dumb");
}

TEST(RuntimeConfig, UserNamesResolveInTheMinimalPasswdWithoutARootfsOne) {
    ContainerSpec spec;
    spec.args = {"/bin/busybox"};
    spec.user = UserSpec{"nobody", std::nullopt};
    EXPECT_EQ(runtime_config_for(spec, container_environment(spec)).process.user, (oci::User{65534, 65534}));
    EXPECT_EQ(resolve_process_user(spec, "nobody:x:99:98::/:/bin/sh\n", "").uid, 99u);
    spec.user = UserSpec{"alice", std::nullopt};
    EXPECT_ERROR_CONTAINS(runtime_config_for(spec, container_environment(spec)), SpecError,
                          "no user alice in the rootfs's /etc/passwd (the closure brings none");
    EXPECT_ERROR_CONTAINS(resolve_process_user(spec, "root:x:0:0::/:/bin/sh\n", std::nullopt),
                          SpecError, "no user alice in the rootfs's /etc/passwd");
}

TEST(RuntimeConfig, RootlessIsTheDefaultForANonRootBuilder) {
    ContainerSpec spec;
    spec.args = {"/bin/busybox"};
    EXPECT_FALSE(is_rootless(spec, HostIds{0, 0}));
    EXPECT_TRUE(is_rootless(spec, HostIds{1000, 1000}));
    spec.rootless = false;
    EXPECT_FALSE(is_rootless(spec, HostIds{1000, 1000}));
    EXPECT_TRUE(runtime_config_for(spec, container_environment(spec), {HostIds{1000, 1000}, {}})
                    .linux_config.uid_mappings.empty());
    spec.rootless = true;
    EXPECT_TRUE(is_rootless(spec, HostIds{0, 0}));
}

TEST(RuntimeConfig, RootlessAsRuncSpecRootless) {
    ContainerSpec spec;
    spec.args = {"/bin/busybox"};
    const auto config = runtime_config_for(spec, container_environment(spec), {HostIds{1234, 5678}, {}});
    const auto& l = config.linux_config;
    ASSERT_EQ(l.uid_mappings.size(), 1u);
    EXPECT_EQ(l.uid_mappings[0].container_id, 0u);
    EXPECT_EQ(l.uid_mappings[0].host_id, 1234u);
    EXPECT_EQ(l.uid_mappings[0].size, 1u);
    ASSERT_EQ(l.gid_mappings.size(), 1u);
    EXPECT_EQ(l.gid_mappings[0].host_id, 5678u);
    std::vector<std::string> namespaces;
    for (const auto& ns : l.namespaces) namespaces.push_back(ns.type);
    EXPECT_EQ(namespaces,
              (std::vector<std::string>{"pid", "network", "mount", "ipc", "uts", "user"}));
    EXPECT_EQ(destinations(config), (std::vector<std::string>{"/proc", "/dev", "/dev/pts",
                                                              "/dev/shm", "/dev/mqueue", "/sys"}));
    const auto& sys = config.mounts[5];
    EXPECT_EQ(sys.type, "none");
    EXPECT_EQ(sys.source, "/sys");
    EXPECT_EQ(sys.options, (std::vector<std::string>{"rbind", "nosuid", "noexec", "nodev", "ro"}));
    for (const auto& m : config.mounts)
        for (const auto& o : m.options)
            EXPECT_FALSE(o.starts_with("gid=") || o.starts_with("uid=")) << m.destination << o;
    EXPECT_EQ(config.process.user, (oci::User{0, 0}));
}

TEST(RuntimeConfig, RootlessRefusesWhatTheMappingCannotDo) {
    ContainerSpec spec;
    spec.args = {"/bin/busybox"};
    spec.rootless = true;
    spec.user = UserSpec{"1000", std::nullopt};
    EXPECT_ERROR_CONTAINS(runtime_config_for(spec, container_environment(spec)), SpecError,
                          "a rootless bundle maps only container root");
    spec.user = UserSpec{"0", "5"};
    EXPECT_ERROR_CONTAINS(runtime_config_for(spec, container_environment(spec)), SpecError,
                          "a rootless bundle maps only container root");
    spec.user.reset();
    add_mount(spec.mounts, {"/t", "tmpfs", "tmpfs", {"uid=1000"}});
    EXPECT_ERROR_CONTAINS(runtime_config_for(spec, container_environment(spec)), SpecError,
                          "mount /t: option uid=1000 names an id a rootless bundle does not map");
    // The mapping is size 1: container id 0 only, not 1 (the end of the range is exclusive).
    spec.mounts.clear();
    add_mount(spec.mounts, {"/t", "tmpfs", "tmpfs", {"gid=1"}});
    EXPECT_ERROR_CONTAINS(runtime_config_for(spec, container_environment(spec)), SpecError,
                          "mount /t: option gid=1 names an id a rootless bundle does not map");
    spec.mounts.clear();
    add_mount(spec.mounts, {"/t", "tmpfs", "tmpfs", {"uid=0", "gid=0"}});
    EXPECT_NO_THROW(runtime_config_for(spec, container_environment(spec)));
    // A user's /sys replaces the rootless one too.
    add_mount(spec.mounts, {"/sys", "tmpfs", "tmpfs", {}});
    EXPECT_EQ(runtime_config_for(spec, container_environment(spec)).mounts[5].type, "tmpfs");
}

ContainerSpec rootless_golden_spec() {
    ContainerSpec spec = golden_spec();
    spec.rootless = true;
    spec.env = {"LANG=C.UTF-8"};
    spec.cwd = "/data";
    spec.hostname = "box";
    spec.terminal = true;
    spec.cap_add = {"CAP_NET_RAW"};
    spec.cap_drop = {"CAP_KILL"};
    return spec;
}

TEST(RuntimeConfig, RootlessGoldenFile) {
    const std::string text = oci::serialize(
        runtime_config_for(rootless_golden_spec(), container_environment(rootless_golden_spec()), {HostIds{1000, 1000}, {}}));
    const std::string golden_path = kGoldenDir + "/config-rootless.json";
    if (std::getenv("OCITOOLS_UPDATE_GOLDEN")) testing::write_text(golden_path, text);
    EXPECT_EQ(text, testing::read_text(golden_path));
}

TEST(RuntimeConfig, ExtraPathDirectoryComesFirst) {
    ContainerSpec spec;
    spec.args = {"tool"};
    const auto config = runtime_config_for(spec, container_environment(spec, "/opt/tools/bin"));
    EXPECT_EQ(config.process.env[0],
              "PATH=/opt/tools/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
}

TEST(SemVer, AcceptsReleasesAndPreReleasesOnly) {
    EXPECT_TRUE(is_semver("1.0.2"));
    EXPECT_TRUE(is_semver("1.0.2-dev"));
    EXPECT_TRUE(is_semver("1.2.0-rc.1+build.5"));
    EXPECT_FALSE(is_semver("1.0"));
    EXPECT_FALSE(is_semver("01.0.0"));
    EXPECT_FALSE(is_semver("v1.0.0"));
    EXPECT_FALSE(is_semver(""));
}

}  // namespace
}  // namespace ocitools
