#include "plan/plan.h"

#include <gtest/gtest.h>

#include "base/error.h"
#include "test_support.h"

namespace ocitools {
namespace {

TEST(Plan, ConflictingEntriesAreAnError) {
    Plan plan;
    plan.add({"/x", EntryKind::File, "/x", "", 0644, {}});
    plan.add({"/x", EntryKind::File, "/x", "", 0644, {}});  // the same again: fine
    EXPECT_ERROR_CONTAINS(plan.add({"/x", EntryKind::Symlink, "/x", "y", 0777, {}}), ClosureError,
                          "conflicting closure entries for /x");
}

// Nothing beneath a file or a symlink, whichever comes first: the writer would make the path a
// directory or a file depending on its threads (found in review).
TEST(Plan, NothingBeneathAFileOrASymlink) {
    Plan plan;
    plan.add({"/t", EntryKind::Directory, "/t", "", 0755, {}});
    plan.add({"/t/g", EntryKind::File, "/t/g", "", 0644, {}});
    plan.add({"/t/l", EntryKind::Symlink, "/t/l", "g", 0777, {}});
    plan.add({"/t/g-1", EntryKind::File, "/t/g-1", "", 0644, {}});  // a sibling, not beneath
    EXPECT_ERROR_CONTAINS(plan.add({"/t/g/h", EntryKind::File, "/t/g/h", "", 0644, {}}),
                          ClosureError, "/t/g/h (a file) is beneath /t/g, a file");
    EXPECT_ERROR_CONTAINS(plan.add({"/t/l/x/y", EntryKind::Directory, "/t/l/x/y", "", 0755, {}}),
                          ClosureError, "/t/l/x/y (a directory) is beneath /t/l, a symlink");
    Plan other;
    other.add({"/a/b/c", EntryKind::File, "/a/b/c", "", 0644, {}});
    EXPECT_ERROR_CONTAINS(other.add({"/a/b", EntryKind::File, "/a/b", "", 0644, {}}),
                          ClosureError, "/a/b/c (a file) is beneath /a/b, a file");
    EXPECT_ERROR_CONTAINS(other.add({"/a", EntryKind::Symlink, "/a", "x", 0777, {}}),
                          ClosureError, "/a/b/c (a file) is beneath /a, a symlink");
    EXPECT_EQ(plan.size(), 4u);
    EXPECT_EQ(other.size(), 1u);
}

// A path as the container resolves it: merged /usr and soname links, relative and absolute
// targets, "..", and no way out of the plan.
TEST(Plan, ResolveFollowsSymlinkEntries) {
    Plan plan;
    auto link = [&](const std::string& path, const std::string& target) {
        plan.add({path, EntryKind::Symlink, path, target, 0777, {}});
    };
    link("/lib", "usr/lib");
    plan.add({"/usr/lib/x/libz.so.1.2", EntryKind::File, "/usr/lib/x/libz.so.1.2", "", 0644, {}});
    link("/usr/lib/x/libz.so.1", "libz.so.1.2");
    link("/usr/lib/x/abs", "/lib/x/../x/libz.so.1");
    link("/loop", "loop");
    plan.add({"/nix/store/h-a", EntryKind::StorePath, "/nix/store/h-a", "", 0555, {}});
    const PlanEntry* file = plan.find("/usr/lib/x/libz.so.1.2");
    EXPECT_EQ(plan.resolve("/lib/x/libz.so.1"), file);
    EXPECT_EQ(plan.resolve("//lib/./x/abs"), file);
    EXPECT_EQ(plan.resolve("/usr/lib/x/libz.so.1.2"), file);
    EXPECT_EQ(plan.resolve("/../lib/x/libz.so.1"), file);
    EXPECT_EQ(plan.resolve("/lib/x/libz.so.1/y"), nullptr);  // beneath a file
    EXPECT_EQ(plan.resolve("/lib/x/missing.so"), nullptr);
    EXPECT_EQ(plan.resolve("/loop"), nullptr);
    EXPECT_EQ(plan.resolve("/nix/store/h-a/lib/liba.so"), nullptr);  // not seen inside
    EXPECT_EQ(plan.resolve("/nix/store/h-a"), plan.find("/nix/store/h-a"));
}

}  // namespace
}  // namespace ocitools
