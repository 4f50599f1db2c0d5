#include "oci/runtime_config.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "bundle.h"
#include "oci/bundle_validator.h"
#include "test_support.h"

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
    const std::string text = oci::serialize(runtime_config_for(golden_spec(), Closure{}));
    const std::string golden_path = kGoldenDir + "/config.json";
    if (std::getenv("OCITOOLS_UPDATE_GOLDEN")) testing::write_text(golden_path, text);
    EXPECT_EQ(text, testing::read_text(golden_path));
}

TEST(RuntimeConfig, IsDeterministic) {
    const auto a = oci::serialize(runtime_config_for(golden_spec(), Closure{}));
    const auto b = oci::serialize(runtime_config_for(golden_spec(), Closure{}));
    EXPECT_EQ(a, b);
}

TEST(RuntimeConfig, SeedDefaultsAndNoPlatform) {
    ContainerSpec spec;
    spec.args = {"/bin/busybox"};
    const auto j = nlohmann::json::parse(oci::serialize(runtime_config_for(spec, Closure{})));
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
}

TEST(RuntimeConfig, UserMountsFollowSystemMountsAndReplaceSameDestination) {
    const auto config = runtime_config_for(golden_spec(), Closure{});
    ASSERT_EQ(config.mounts.size(), 8u);
    EXPECT_EQ(config.mounts[5].destination, "/sys/fs/cgroup");
    EXPECT_EQ(config.mounts[6].destination, "/data");
    EXPECT_EQ(config.mounts[7].destination, "/dev/shm");
    EXPECT_EQ(config.mounts[7].options.back(), "size=128m");
}

TEST(RuntimeConfig, ExtraPathDirectoryIsAppended) {
    ContainerSpec spec;
    spec.args = {"tool"};
    Closure closure;
    closure.extra_path_dir = "/opt/tools/bin";
    const auto config = runtime_config_for(spec, closure);
    EXPECT_EQ(config.process.env[0],
              "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin:/opt/tools/bin");
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
