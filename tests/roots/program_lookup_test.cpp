#include "roots/program_lookup.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "base/error.h"
#include "test_support.h"

namespace ocitools {
namespace {

using namespace ocitools::testing;

TEST(ProgramLookup, SearchesPathAndChecksExecutability) {
    ScratchDir dir;
    write_text(dir / "bin1/tool", "data");  // not executable
    write_text(dir / "bin2/tool", "#!/bin/sh\n");
    fs::permissions(dir / "bin2/tool", fs::perms::owner_all);
    const std::string search = (dir / "bin1").string() + "::relative:" + (dir / "bin2").string();
    EXPECT_EQ(find_program("tool", search), (dir / "bin2/tool").string());
    EXPECT_ERROR_CONTAINS(find_program("nosuch", search), SpecError,
                          "program nosuch: not found on PATH");
    EXPECT_ERROR_CONTAINS(find_program((dir / "bin1/tool").string(), search), SpecError,
                          "is not executable");
    EXPECT_ERROR_CONTAINS(find_program("bin/tool", search), SpecError, "must be absolute");
    EXPECT_ERROR_CONTAINS(find_program(dir.path().string(), search), SpecError, "is a directory");
}

TEST(ProgramLookup, ADeviceWithExecuteBitsIsNoProgram) {
    if (geteuid() != 0) GTEST_SKIP() << "mknod needs root";
    ScratchDir dir;
    const std::string device = (dir / "bin/tool").string();
    fs::create_directories(dir / "bin");
    ASSERT_EQ(mknod(device.c_str(), S_IFCHR | 0755, makedev(1, 3)), 0);  // like /dev/null
    EXPECT_ERROR_CONTAINS(find_program("tool", (dir / "bin").string()), SpecError,
                          "is not a regular file");
    EXPECT_ERROR_CONTAINS(find_program(device, ""), SpecError, "is not a regular file");
}

}  // namespace
}  // namespace ocitools
