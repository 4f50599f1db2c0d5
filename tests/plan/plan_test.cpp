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

}  // namespace
}  // namespace ocitools
