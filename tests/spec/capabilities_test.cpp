#include "spec/capabilities.h"

#include <gtest/gtest.h>

#include <linux/capability.h>

#include "base/error.h"
#include "test_support.h"

namespace ocitools {
namespace {

using Names = std::vector<std::string>;

TEST(Capabilities, ListMatchesTheKernelHeader) {
    const auto& all = all_capabilities();
    ASSERT_EQ(all.size(), static_cast<size_t>(CAP_CHECKPOINT_RESTORE) + 1);
    EXPECT_EQ(all[CAP_CHOWN], "CAP_CHOWN");
    EXPECT_EQ(all[CAP_KILL], "CAP_KILL");
    EXPECT_EQ(all[CAP_NET_BIND_SERVICE], "CAP_NET_BIND_SERVICE");
    EXPECT_EQ(all[CAP_NET_RAW], "CAP_NET_RAW");
    EXPECT_EQ(all[CAP_SYS_ADMIN], "CAP_SYS_ADMIN");
    EXPECT_EQ(all[CAP_AUDIT_WRITE], "CAP_AUDIT_WRITE");
    EXPECT_EQ(all[CAP_SETFCAP], "CAP_SETFCAP");
    EXPECT_EQ(all[CAP_AUDIT_READ], "CAP_AUDIT_READ");
    EXPECT_EQ(all[CAP_PERFMON], "CAP_PERFMON");
    EXPECT_EQ(all[CAP_BPF], "CAP_BPF");
    EXPECT_EQ(all[CAP_CHECKPOINT_RESTORE], "CAP_CHECKPOINT_RESTORE");
}

TEST(Capabilities, NamesWithOrWithoutPrefixInAnyCase) {
    EXPECT_EQ(canonical_capability("CAP_NET_RAW"), "CAP_NET_RAW");
    EXPECT_EQ(canonical_capability("net_raw"), "CAP_NET_RAW");
    EXPECT_EQ(canonical_capability("cap_Net_Raw"), "CAP_NET_RAW");
    EXPECT_EQ(canonical_capability("NET-RAW"), std::nullopt);
    EXPECT_EQ(canonical_capability("CAP_"), std::nullopt);
    EXPECT_EQ(canonical_capability(""), std::nullopt);
    EXPECT_EQ(canonical_capability("CAP_CAP_KILL"), std::nullopt);
    EXPECT_EQ(parse_capabilities({"kill", "all", "CAP_SYS_ADMIN"}, "--cap-add"),
              (Names{"CAP_KILL", "ALL", "CAP_SYS_ADMIN"}));
}

TEST(Capabilities, UnknownNameIsAnErrorNamingTheFlag) {
    EXPECT_ERROR_CONTAINS(parse_capabilities({"kill", "CAP_FLY"}, "--cap-add"), SpecError,
                          "--cap-add: unknown capability CAP_FLY");
}

TEST(Capabilities, DefaultsAreRuncs) {
    const auto sets = capability_sets(default_capabilities(), {}, {}, true);
    const Names runc = {"CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"};
    EXPECT_EQ(sets.bounding, runc);
    EXPECT_EQ(sets.effective, runc);
    EXPECT_EQ(sets.permitted, runc);
    EXPECT_TRUE(sets.inheritable.empty());
    EXPECT_TRUE(sets.ambient.empty());
}

TEST(Capabilities, AddAndDropChangeTheSets) {
    const auto sets = capability_sets(default_capabilities(), {"CAP_NET_RAW"}, {"CAP_KILL"}, true);
    EXPECT_EQ(sets.bounding, (Names{"CAP_AUDIT_WRITE", "CAP_NET_BIND_SERVICE", "CAP_NET_RAW"}));
    EXPECT_EQ(sets.effective, sets.bounding);
    EXPECT_EQ(sets.permitted, sets.bounding);
    EXPECT_TRUE(sets.ambient.empty());

    EXPECT_TRUE(capability_sets(default_capabilities(), {}, {"ALL"}, true).bounding.empty());
    EXPECT_EQ(capability_sets(default_capabilities(), {"CAP_CHOWN"}, {"ALL"}, true).bounding,
              (Names{"CAP_CHOWN"}));
    const auto all = capability_sets(default_capabilities(), {"ALL"}, {"CAP_SYS_ADMIN"}, true);
    EXPECT_EQ(all.bounding.size(), all_capabilities().size() - 1);
    EXPECT_TRUE(std::find(all.bounding.begin(), all.bounding.end(), "CAP_SYS_ADMIN") ==
                all.bounding.end());
}

TEST(Capabilities, NonRootUserGetsAddedCapabilitiesAsAmbientAndInheritable) {
    const auto sets =
        capability_sets(default_capabilities(), {"CAP_NET_RAW", "CAP_KILL"}, {}, false);
    EXPECT_EQ(sets.ambient, (Names{"CAP_KILL", "CAP_NET_RAW"}));
    EXPECT_EQ(sets.inheritable, sets.ambient);
    // Ambient only ever holds what is both inheritable and permitted (capabilities(7)).
    for (const auto& cap : sets.ambient) {
        EXPECT_NE(std::find(sets.permitted.begin(), sets.permitted.end(), cap),
                  sets.permitted.end());
        EXPECT_NE(std::find(sets.inheritable.begin(), sets.inheritable.end(), cap),
                  sets.inheritable.end());
    }
    EXPECT_TRUE(capability_sets(default_capabilities(), {}, {}, false).ambient.empty());
}

TEST(Capabilities, AddedAndDroppedIsAnError) {
    EXPECT_ERROR_CONTAINS(capability_sets(default_capabilities(), {"CAP_KILL"}, {"CAP_KILL"}, true),
                          SpecError, "CAP_KILL is both added");
}

}  // namespace
}  // namespace ocitools
