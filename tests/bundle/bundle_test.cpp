// build_bundle's link modes: a writable root never shares the host's inodes unless the user asked
// on the command line, and then is warned; auto links only a read-only root.
#include "bundle/bundle.h"

#include <sys/stat.h>

#include <gtest/gtest.h>

#include <filesystem>
#include <string>
#include <vector>

#include "base/error.h"
#include "test_support.h"

namespace ocitools {
namespace {

using namespace ocitools::testing;

struct Collected {
    std::vector<std::string> warnings;
    Reporter reporter{[this](const std::string& m) { warnings.push_back(m); }, {}};
};

ContainerSpec true_spec(std::optional<LinkMode> link, bool readonly) {
    ContainerSpec spec;
    spec.args = {"/usr/bin/true"};
    spec.link = link;
    spec.readonly = readonly;
    return spec;
}

BuildOptions options_for(const fs::path& output, bool allow_writable_hardlinks = false) {
    BuildOptions options{output, false, "/usr/bin:/bin"};
    options.allow_writable_hardlinks = allow_writable_hardlinks;
    return options;
}

// Whether the bundle's /usr/bin/true is the host's inode. The scratch directory must be on the
// host's /usr filesystem for links to be possible at all.
bool shares_host_inode(const fs::path& bundle) {
    struct stat host {}, inside {};
    EXPECT_EQ(stat("/usr/bin/true", &host), 0);
    EXPECT_EQ(lstat((bundle / "rootfs/usr/bin/true").c_str(), &inside), 0);
    return host.st_dev == inside.st_dev && host.st_ino == inside.st_ino;
}

bool same_filesystem_as_usr(const fs::path& dir) {
    struct stat a {}, b {};
    return stat("/usr/bin/true", &a) == 0 && stat(dir.c_str(), &b) == 0 && a.st_dev == b.st_dev;
}

mode_t mode_of(const fs::path& path) {
    struct stat st {};
    EXPECT_EQ(lstat(path.c_str(), &st), 0) << path;
    return st.st_mode;
}

// mktemp, here-documents and python's tempfile need /tmp and /var/tmp, world-writable with the
// sticky bit, whatever the builder's umask; a mount on them (or above them) provides its own.
TEST(BuildBundle, TmpAndVarTmpAreStickyWorldWritableDirectoriesUnlessAMountCoversThem) {
    ScratchDir dir;
    Collected c;
    const mode_t old_umask = umask(077);
    build_bundle(true_spec(std::nullopt, false), options_for(dir / "b"), c.reporter);
    umask(old_umask);
    for (const char* tmp : {"rootfs/tmp", "rootfs/var/tmp"}) {
        const mode_t mode = mode_of(dir / "b" / tmp);
        EXPECT_TRUE(S_ISDIR(mode)) << tmp;
        EXPECT_EQ(mode & 07777, 01777u) << tmp;
    }

    ContainerSpec spec = true_spec(std::nullopt, false);
    spec.mounts = {MountSpec{"/tmp", "tmpfs", "tmpfs", {"nosuid"}},
                   MountSpec{"/var", "tmpfs", "tmpfs", {}}};
    build_bundle(spec, options_for(dir / "mounted"), c.reporter);
    EXPECT_EQ(mode_of(dir / "mounted/rootfs/tmp") & 07777, 0755u);  // a plain mount point
    EXPECT_FALSE(fs::exists(dir / "mounted/rootfs/var/tmp"));
}

TEST(BuildBundle, HardLinksForAWritableRootAreRefusedUnlessAskedOnTheCommandLine) {
    ScratchDir dir;
    Collected c;
    EXPECT_ERROR_CONTAINS(
        build_bundle(true_spec(LinkMode::Hardlink, false), options_for(dir / "b"), c.reporter),
        SpecError,
        "link \"hardlink\" with a writable root: the container could change host files through "
        "the hard links");
    EXPECT_TRUE(fs::is_empty(dir.path()));  // nothing written, not even a temporary

    build_bundle(true_spec(LinkMode::Hardlink, false), options_for(dir / "b", true), c.reporter);
    ASSERT_FALSE(c.warnings.empty());
    EXPECT_NE(c.warnings[0].find("can change host files through the hard links"),
              std::string::npos)
        << c.warnings[0];
    if (same_filesystem_as_usr(dir.path())) {
        EXPECT_TRUE(shares_host_inode(dir / "b"));
    }
}

TEST(BuildBundle, AReadOnlyRootMayBeHardLinkedWithoutWarning) {
    ScratchDir dir;
    Collected c;
    build_bundle(true_spec(LinkMode::Hardlink, true), options_for(dir / "b"), c.reporter);
    for (const auto& w : c.warnings)
        EXPECT_EQ(w.find("hard link"), std::string::npos) << w;
    if (!same_filesystem_as_usr(dir.path())) GTEST_SKIP() << "scratch is not on /usr's filesystem";
    EXPECT_TRUE(shares_host_inode(dir / "b"));
}

TEST(BuildBundle, AutoLinksOnlyAReadOnlyRoot) {
    ScratchDir dir;
    Collected c;
    build_bundle(true_spec(LinkMode::Auto, false), options_for(dir / "writable"), c.reporter);
    build_bundle(true_spec(LinkMode::Auto, true), options_for(dir / "readonly"), c.reporter);
    build_bundle(true_spec(std::nullopt, true), options_for(dir / "default"), c.reporter);
    EXPECT_TRUE(c.warnings.empty());
    EXPECT_FALSE(shares_host_inode(dir / "writable"));
    EXPECT_FALSE(shares_host_inode(dir / "default"));  // copy unless asked
    if (!same_filesystem_as_usr(dir.path())) GTEST_SKIP() << "scratch is not on /usr's filesystem";
    EXPECT_TRUE(shares_host_inode(dir / "readonly"));
}

TEST(BuildBundle, CapSysAdminMakesAReadOnlyRootWritableForLinks) {
    // With CAP_SYS_ADMIN the container can `mount -o remount,rw /`: its root is not read-only.
    ScratchDir dir;
    Collected c;
    for (const char* cap : {"CAP_SYS_ADMIN", "ALL"}) {
        ContainerSpec spec = true_spec(LinkMode::Hardlink, true);
        spec.cap_add = {cap};
        EXPECT_ERROR_CONTAINS(build_bundle(spec, options_for(dir / "b"), c.reporter), SpecError,
                              "link \"hardlink\" with CAP_SYS_ADMIN: the container can remount "
                              "its read-only root writable");
    }
    EXPECT_TRUE(fs::is_empty(dir.path()));
    ContainerSpec spec = true_spec(LinkMode::Auto, true);
    spec.cap_add = {"CAP_SYS_ADMIN"};
    build_bundle(spec, options_for(dir / "auto"), c.reporter);
    EXPECT_FALSE(shares_host_inode(dir / "auto"));  // auto copies
    spec.link = LinkMode::Hardlink;
    build_bundle(spec, options_for(dir / "asked", true), c.reporter);
    ASSERT_EQ(c.warnings.size(), 1u);
    EXPECT_NE(c.warnings[0].find("with CAP_SYS_ADMIN: the container can remount its root"),
              std::string::npos)
        << c.warnings[0];
    spec.cap_drop = {"CAP_SYS_ADMIN"};
    spec.cap_add = {};
    build_bundle(spec, options_for(dir / "dropped"), c.reporter);  // read-only again
    EXPECT_EQ(c.warnings.size(), 1u);
}

}  // namespace
}  // namespace ocitools
