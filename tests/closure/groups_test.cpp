#include "closure/groups.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "closure/debian/dpkg_test_support.h"
#include "closure/nix/nix_db.h"
#include "closure/nix/nix_store_scan.h"
#include "closure/nix/nix_test_support.h"
#include "fs/real_disk.h"
#include "test_support.h"

namespace ocitools {
namespace {

using namespace ocitools::testing;
using Strings = std::vector<std::string>;
using Needs = std::map<std::string, Strings>;

// ---------------------------------------------------------------------------------------------
// Store paths.

StorePath store_path(const StoreDir& store, std::uint64_t seed, const std::string& name) {
    return *store.from_base_name(fake_hash(seed) + "-" + name);
}

TEST(ClosureGroupsStorePaths, EachStorePathIsItsOwnGroupNeedingItsReferences) {
    const StoreDir store("/nix/store");
    const StorePath bash = store_path(store, 1, "bash-5.2");
    const StorePath readline = store_path(store, 2, "readline-8.2");
    const StorePath glibc = store_path(store, 3, "glibc-2.40");
    const StorePath ncurses = store_path(store, 4, "ncurses-6.4");
    // References in no particular order, one twice (the graph's producers sort; this one
    // need not be trusted to).
    std::vector<StorePath> bash_refs{readline, ncurses, glibc};
    if (bash_refs[0] < bash_refs[2]) std::swap(bash_refs[0], bash_refs[2]);  // not sorted
    StoreGraph graph;
    graph.emplace(bash, bash_refs);
    graph.emplace(readline, std::vector<StorePath>{ncurses, glibc, ncurses});
    graph.emplace(ncurses, std::vector<StorePath>{glibc});
    graph.emplace(glibc, std::vector<StorePath>{});

    ClosureGroups groups;
    groups.of["/usr/bin/loose"] = "loose:amd64";  // kept: another kind of group
    groups.add_store_paths(graph);
    EXPECT_EQ(groups.of, (std::map<std::string, std::string>{{bash.path(), bash.path()},
                                                             {readline.path(), readline.path()},
                                                             {glibc.path(), glibc.path()},
                                                             {ncurses.path(), ncurses.path()},
                                                             {"/usr/bin/loose", "loose:amd64"}}));
    auto sorted = [](Strings v) {
        std::sort(v.begin(), v.end());
        return v;
    };
    EXPECT_EQ(groups.needs,
              (Needs{{bash.path(), sorted({readline.path(), ncurses.path(), glibc.path()})},
                     {readline.path(), sorted({ncurses.path(), glibc.path()})},
                     {ncurses.path(), {glibc.path()}},
                     {glibc.path(), {}}}));
}

// The graphs of both reference finders: every path of the closure is in it, its references
// sorted, without itself (Nix's database records self-references; a store path's files name
// their own path all the time). Fed to add_store_paths, no group needs itself.
class StoreGraphTest : public testing::FiveStorePathsTest {
  protected:
    StoreGraphTest() {
        // a -> c, b, a; b -> c, b; c -> nothing; d -> a; other alone.
        write_text(a + "/bin/a", "#!" + c + "/bin/sh\n" + b + "\n" + a + "/share\n");
        write_text(b + "/lib/b", c + " " + b);
        write_text(c + "/bin/sh", "shell");
        write_text(d, a);
        write_text(other, "");
        store.write_db({a, b, c, d, other}, {{a, c}, {a, b}, {a, a}, {b, c}, {b, b}, {d, a}});
    }

    void expect_graph(const StoreGraph& graph) {
        std::map<std::string, Strings> text;
        for (const auto& [path, refs] : graph) text[path.path()] = testing::paths(refs);
        Strings bc{b, c}, sorted_bc = bc;
        std::sort(sorted_bc.begin(), sorted_bc.end());
        EXPECT_EQ(text,
                  (std::map<std::string, Strings>{{d, {a}}, {a, sorted_bc}, {b, {c}}, {c, {}}}));
        ClosureGroups groups;
        groups.add_store_paths(graph);
        for (const auto& [group, needs] : groups.needs)
            EXPECT_EQ(std::count(needs.begin(), needs.end(), group), 0) << group;
        EXPECT_EQ(groups.needs.at(a), sorted_bc);
    }
};

TEST_F(StoreGraphTest, FromTheDatabase) {
    NixDatabase db(store.state_dir(), dir);
    StoreGraph graph;
    EXPECT_EQ(testing::paths(db.closure({store.store_path(4, "d")}, nullptr, &graph)).size(), 4u);
    expect_graph(graph);
    // Referrers and the graph together, and the closure unchanged by asking for them.
    std::map<StorePath, StorePath> referrers;
    StoreGraph again;
    db.closure({store.store_path(4, "d")}, &referrers, &again);
    EXPECT_EQ(again, graph);
    EXPECT_EQ(referrers.at(store.store_path(1, "a")).path(), d);
}

TEST_F(StoreGraphTest, FromScanning) {
    StoreScan scan(dir);
    StoreGraph graph;
    EXPECT_EQ(scan.closure({store.store_path(4, "d")}, nullptr, &graph).size(), 4u);
    expect_graph(graph);
}

// ---------------------------------------------------------------------------------------------
// Debian packages.

class ClosureGroupsPackages : public ::testing::Test {
  protected:
    ClosureGroupsPackages() {
        dpkg.installed("app", "Pre-Depends: libc6\nDepends: libfoo, missing | mawk, libx [i386]",
                       {"/usr/bin/app", "/usr/share/doc/app/copyright"})
            .installed("libc6", "Multi-Arch: same\nDepends: libgcc-s1",
                       {"/usr/lib/libc.so.6", "/usr/share/shared-file"})
            .installed("libgcc-s1", "Multi-Arch: same\nDepends: libc6 (>= 2.35)",  // a cycle
                       {"/usr/lib/libgcc_s.so.1"})
            .installed("libfoo", "Depends: libc6, libc6, foo-data, mail-transport-agent",
                       {"/usr/lib/libfoo.so", "/usr/share/shared-file"})
            .installed("foo-data", "", {"/usr/share/foo/data"}, "all")
            .installed("mawk", "Provides: awk\nDepends: awk", {"/usr/bin/mawk"})  // itself
            .installed("postfix", "Provides: mail-transport-agent", {"/usr/sbin/postfix"})
            .installed("exim4", "Provides: mail-transport-agent", {"/usr/sbin/exim4"})
            .installed("unrelated", "", {"/usr/bin/unrelated"});
        db = dpkg.open();
        rootfs = std::make_unique<RootfsDisk>(dpkg.root());
        installed = std::make_unique<InstalledFiles>(*db, *rootfs);
        packages = std::make_unique<PackageClosure>(*db);
        packages->add("app");
    }

    void file(const std::string& path) { plan.add({path, EntryKind::File, path, "", 0644, {}}); }

    FakeDpkg dpkg;
    std::unique_ptr<DpkgDatabase> db;
    std::unique_ptr<RootfsDisk> rootfs;
    std::unique_ptr<InstalledFiles> installed;
    std::unique_ptr<PackageClosure> packages;
    Plan plan;
};

// Every package of the set is a group needing the packages its Pre-Depends and Depends resolve
// to in the set: sorted, each once, itself never; the first satisfied alternative; every
// provider of a virtual package; nothing for a dependency of another architecture.
TEST_F(ClosureGroupsPackages, PackagesNeedWhatTheirDependenciesResolveTo) {
    ClosureGroups groups;
    groups.add_packages(plan, *packages, *installed, *db);
    EXPECT_EQ(
        groups.needs,
        (Needs{{"app:amd64", {"libc6:amd64", "libfoo:amd64", "mawk:amd64"}},
               {"exim4:amd64", {}},
               // Architecture: all counts as the native one (dpkg's deparchsatisfied).
               {"foo-data:amd64", {}},
               {"libc6:amd64", {"libgcc-s1:amd64"}},
               {"libfoo:amd64", {"exim4:amd64", "foo-data:amd64", "libc6:amd64", "postfix:amd64"}},
               {"libgcc-s1:amd64", {"libc6:amd64"}},
               {"mawk:amd64", {}},
               {"postfix:amd64", {}}}));
    EXPECT_TRUE(groups.of.empty());  // an empty plan: no path to place
}

// Files and symlinks of the plan join the package that installed them (the first by name of
// the set's owners when several list it); directories never; nor a path no package of the set
// owns, nor one already in a group.
TEST_F(ClosureGroupsPackages, PlanPathsJoinTheirOwnersGroup) {
    plan.add({"/usr", EntryKind::Directory, "/usr", "", 0755, {}});
    plan.add({"/usr/lib", EntryKind::Directory, "/usr/lib", "", 0755, {}});
    file("/usr/bin/app");
    file("/usr/lib/libc.so.6");
    file("/usr/lib/libfoo.so");
    file("/usr/share/shared-file");  // libc6 and libfoo both list it
    file("/usr/share/foo/data");
    file("/usr/bin/unrelated");  // owned by a package outside the set
    file("/usr/bin/loose");      // owned by nobody
    file("/usr/sbin/postfix");
    plan.add({"/usr/bin/mawk", EntryKind::Symlink, "/usr/bin/mawk", "awk", 0777, {}});
    ClosureGroups groups;
    groups.of["/usr/sbin/postfix"] = "/nix/store/x-postfix";  // already placed: kept
    groups.add_packages(plan, *packages, *installed, *db);
    EXPECT_EQ(groups.of,
              (std::map<std::string, std::string>{{"/usr/bin/app", "app:amd64"},
                                                  {"/usr/bin/mawk", "mawk:amd64"},
                                                  {"/usr/lib/libc.so.6", "libc6:amd64"},
                                                  {"/usr/lib/libfoo.so", "libfoo:amd64"},
                                                  {"/usr/sbin/postfix", "/nix/store/x-postfix"},
                                                  {"/usr/share/foo/data", "foo-data:amd64"},
                                                  {"/usr/share/shared-file", "libc6:amd64"}}));
}

}  // namespace
}  // namespace ocitools
