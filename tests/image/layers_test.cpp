#include "image/layers.h"

#include <gtest/gtest.h>

#include <map>
#include <set>
#include <string>
#include <vector>

namespace ocitools {
namespace {

using Strings = std::vector<std::string>;

// A plan and its groups, written by hand: directories, files (each with an optional group),
// and the graph between the groups.
struct Closure {
    Plan plan;
    ClosureGroups groups;

    Closure& dir(const std::string& path) {
        plan.add({path, EntryKind::Directory, path, "", 0755, {}});
        return *this;
    }
    // A file; with `group`, a file that group brought.
    Closure& file(const std::string& path, const std::string& group = {}) {
        plan.add({path, EntryKind::File, path, "", 0644, {}});
        if (!group.empty()) groups.of[path] = group;
        return *this;
    }
    Closure& needs(const std::string& group, Strings needed) {
        groups.needs[group] = std::move(needed);
        return *this;
    }
};

Strings paths_of(const Layer& layer) {
    Strings out;
    for (const PlanEntry* e : layer.entries) out.push_back(e->path);
    return out;
}

std::vector<Strings> groups_of(const std::vector<Layer>& layers) {
    std::vector<Strings> out;
    for (const auto& layer : layers) out.push_back(layer.groups);
    return out;
}

// What every cut must keep, whatever the groups: each non-directory of the plan in exactly one
// layer, each directory in at least one, a layer's entries in plan order without duplicates,
// and every directory of the plan above a non-directory in that non-directory's layer.
void expect_whole_layers(const Plan& plan, const std::vector<Layer>& layers) {
    std::map<std::string, int> non_directories;
    std::set<std::string> directories;
    for (size_t i = 0; i < layers.size(); ++i) {
        const Layer& layer = layers[i];
        std::set<std::string> here;
        for (size_t j = 0; j < layer.entries.size(); ++j) {
            const PlanEntry* e = layer.entries[j];
            EXPECT_EQ(plan.find(e->path), e) << e->path << ": not borrowed from the plan";
            if (j > 0) {
                EXPECT_LT(layer.entries[j - 1]->path, e->path) << "layer " << i;
            }
            here.insert(e->path);
            if (e->kind == EntryKind::Directory)
                directories.insert(e->path);
            else
                ++non_directories[e->path];
        }
        for (const PlanEntry* e : layer.entries) {
            if (e->kind == EntryKind::Directory) continue;
            for (size_t slash = e->path.rfind('/'); slash != 0 && slash != std::string::npos;
                 slash = e->path.rfind('/', slash - 1)) {
                const std::string above = e->path.substr(0, slash);
                EXPECT_TRUE(!plan.contains(above) || here.count(above))
                    << above << " missing above " << e->path << " in layer " << i;
            }
        }
    }
    for (const PlanEntry* e : plan.sorted()) {
        if (e->kind == EntryKind::Directory) {
            EXPECT_TRUE(directories.count(e->path)) << e->path << " in no layer";
        } else {
            EXPECT_EQ(non_directories[e->path], 1) << e->path << " not in exactly one layer";
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Ranking.

// app -> libfoo, zlib, libc6; libfoo -> libc6; libc6 <-> libgcc-s1 (Debian's real cycle).
Closure debian_like() {
    Closure c;
    c.dir("/usr")
        .dir("/usr/bin")
        .dir("/usr/lib")
        .file("/usr/bin/app", "app:amd64")
        .file("/usr/lib/libc.so.6", "libc6:amd64")
        .file("/usr/lib/libgcc_s.so.1", "libgcc-s1:amd64")
        .file("/usr/lib/libfoo.so", "libfoo:amd64")
        .file("/usr/lib/libz.so", "zlib1g:amd64")
        .file("/usr/share-data", "aaa-data:all")
        .needs("app:amd64", {"libc6:amd64", "libfoo:amd64", "zlib1g:amd64"})
        .needs("libfoo:amd64", {"libc6:amd64"})
        .needs("libc6:amd64", {"libgcc-s1:amd64"})
        .needs("libgcc-s1:amd64", {"libc6:amd64"})
        .needs("zlib1g:amd64", {})
        .needs("aaa-data:all", {});
    return c;
}

TEST(RankGroups, MostTransitiveDependentsFirstTiesByName) {
    const Closure c = debian_like();
    // libc6 and libgcc-s1 are each needed by app, libfoo and the other (3): by name. libfoo and
    // zlib1g by app alone (1), aaa-data and app by nobody (0).
    EXPECT_EQ(rank_groups(c.plan, c.groups),
              (Strings{"libc6:amd64", "libgcc-s1:amd64", "libfoo:amd64", "zlib1g:amd64",
                       "aaa-data:all", "app:amd64"}));
}

// A group on a cycle reaches itself again: that does not count as a dependent.
TEST(RankGroups, ACycleDoesNotCountTheGroupItself) {
    Closure c;
    c.file("/c1", "c1").file("/c2", "c2").file("/z", "z").file("/a", "a").file("/b", "b");
    c.needs("c1", {"c2"}).needs("c2", {"c1"}).needs("a", {"z"}).needs("b", {"z"});
    // z: a and b (2); c1, c2: each other (1); a, b: nobody.
    EXPECT_EQ(rank_groups(c.plan, c.groups), (Strings{"z", "c1", "c2", "a", "b"}));
}

TEST(RankGroups, OnlyGroupsWithAPathInThePlan) {
    Closure c;
    c.file("/x", "x").needs("x", {"ghost"}).needs("ghost", {});
    c.groups.of["/not-planned"] = "ghost";
    EXPECT_EQ(rank_groups(c.plan, c.groups), Strings{"x"});
    EXPECT_TRUE(rank_groups(Plan{}, c.groups).empty());
}

// ---------------------------------------------------------------------------------------------
// Layers.

TEST(PlanLayers, OneLayerPerGroupInRankOrderThenTheLooseFiles) {
    Closure c = debian_like();
    c.file("/usr/bin/loose-script");
    const auto layers = plan_layers(c.plan, c.groups, 32);
    ASSERT_EQ(layers.size(), 7u);
    EXPECT_EQ(groups_of(layers), (std::vector<Strings>{{"libc6:amd64"},
                                                       {"libgcc-s1:amd64"},
                                                       {"libfoo:amd64"},
                                                       {"zlib1g:amd64"},
                                                       {"aaa-data:all"},
                                                       {"app:amd64"},
                                                       {}}));
    for (size_t i = 0; i + 1 < layers.size(); ++i) EXPECT_FALSE(layers[i].loose) << i;
    EXPECT_TRUE(layers.back().loose);
    EXPECT_EQ(paths_of(layers[0]), (Strings{"/usr", "/usr/lib", "/usr/lib/libc.so.6"}));
    EXPECT_EQ(paths_of(layers[5]), (Strings{"/usr", "/usr/bin", "/usr/bin/app"}));
    EXPECT_EQ(paths_of(layers[6]), (Strings{"/usr", "/usr/bin", "/usr/bin/loose-script"}));
    expect_whole_layers(c.plan, layers);
}

TEST(PlanLayers, NoLooseLayerWithoutLooseFiles) {
    const Closure c = debian_like();
    const auto layers = plan_layers(c.plan, c.groups, 32);
    ASSERT_EQ(layers.size(), 6u);
    for (const auto& layer : layers) EXPECT_FALSE(layer.loose);
    expect_whole_layers(c.plan, layers);
}

// More groups than layers: the N-2 highest ranked alone, the rest together, the loose last.
TEST(PlanLayers, TooManyGroupsShareTheNextToLastLayer) {
    Closure c = debian_like();
    c.file("/loose");
    const auto layers = plan_layers(c.plan, c.groups, 4);
    ASSERT_EQ(layers.size(), 4u);
    EXPECT_EQ(groups_of(layers),
              (std::vector<Strings>{{"libc6:amd64"},
                                    {"libgcc-s1:amd64"},
                                    {"libfoo:amd64", "zlib1g:amd64", "aaa-data:all", "app:amd64"},
                                    {}}));
    EXPECT_TRUE(layers[3].loose);
    EXPECT_FALSE(layers[2].loose);
    EXPECT_EQ(paths_of(layers[2]),
              (Strings{"/usr", "/usr/bin", "/usr/bin/app", "/usr/lib", "/usr/lib/libfoo.so",
                       "/usr/lib/libz.so", "/usr/share-data"}));
    EXPECT_EQ(paths_of(layers[3]), Strings{"/loose"});
    expect_whole_layers(c.plan, layers);
}

// Without loose files the last layer takes the groups left over: N-1 alone.
TEST(PlanLayers, TooManyGroupsWithoutLooseFilesUseEveryLayerForGroups) {
    const Closure c = debian_like();
    const auto layers = plan_layers(c.plan, c.groups, 4);
    ASSERT_EQ(layers.size(), 4u);
    EXPECT_EQ(groups_of(layers),
              (std::vector<Strings>{{"libc6:amd64"},
                                    {"libgcc-s1:amd64"},
                                    {"libfoo:amd64"},
                                    {"zlib1g:amd64", "aaa-data:all", "app:amd64"}}));
    for (const auto& layer : layers) EXPECT_FALSE(layer.loose);
    expect_whole_layers(c.plan, layers);
}

TEST(PlanLayers, AtMostMaxLayersForEveryLimit) {
    Closure with_loose = debian_like();
    with_loose.file("/loose");
    for (unsigned max = 1; max <= 9; ++max) {
        const auto layers = plan_layers(with_loose.plan, with_loose.groups, max);
        EXPECT_EQ(layers.size(), std::min(max, 7u)) << max;
        EXPECT_TRUE(layers.back().loose) << max;
        size_t groups = 0;
        for (const auto& layer : layers) groups += layer.groups.size();
        EXPECT_EQ(groups, 6u) << max;
        expect_whole_layers(with_loose.plan, layers);
    }
    const Closure without_loose = debian_like();
    for (unsigned max = 1; max <= 9; ++max) {
        const auto layers = plan_layers(without_loose.plan, without_loose.groups, max);
        EXPECT_EQ(layers.size(), std::min(max, 6u)) << max;
        expect_whole_layers(without_loose.plan, layers);
    }
}

TEST(PlanLayers, OneLayerHoldsEverything) {
    Closure c = debian_like();
    c.file("/loose").dir("/empty");
    for (unsigned max : {0u, 1u}) {  // 0 counts as 1
        const auto layers = plan_layers(c.plan, c.groups, max);
        ASSERT_EQ(layers.size(), 1u) << max;
        EXPECT_TRUE(layers[0].loose);
        EXPECT_EQ(layers[0].groups.size(), 6u);
        EXPECT_EQ(layers[0].entries, c.plan.sorted());
        EXPECT_EQ(layers[0].description(),
                  "packages libc6:amd64, libgcc-s1:amd64, libfoo:amd64, zlib1g:amd64, "
                  "aaa-data:all, app:amd64; loose files");
    }
}

TEST(PlanLayers, EmptyPlanGivesOneEmptyLayer) {
    const auto layers = plan_layers(Plan{}, ClosureGroups{}, 5);
    ASSERT_EQ(layers.size(), 1u);
    EXPECT_TRUE(layers[0].entries.empty());
    EXPECT_TRUE(layers[0].groups.empty());
}

// Plan order is not depth first: "/a-b" sorts between "/a" and "/a/c". Each layer still gets
// every directory above its files, and only those.
TEST(PlanLayers, DirectoriesAboveEachEntryWhateverThePlanOrder) {
    Closure c;
    c.dir("/a").file("/a-b", "g1").dir("/a/c").dir("/a/c/d").file("/a/c/d/e", "g2");
    c.file("/a/c-x", "g1").file("/a/c/f");  // a loose file beneath /a/c too
    c.needs("g1", {}).needs("g2", {});
    const auto layers = plan_layers(c.plan, c.groups, 10);
    ASSERT_EQ(layers.size(), 3u);
    EXPECT_EQ(groups_of(layers), (std::vector<Strings>{{"g1"}, {"g2"}, {}}));
    EXPECT_EQ(paths_of(layers[0]), (Strings{"/a", "/a-b", "/a/c-x"}));
    EXPECT_EQ(paths_of(layers[1]), (Strings{"/a", "/a/c", "/a/c/d", "/a/c/d/e"}));
    EXPECT_EQ(paths_of(layers[2]), (Strings{"/a", "/a/c", "/a/c/f"}));
    expect_whole_layers(c.plan, layers);
}

// A directory with no file beneath it (/tmp, a mount point) is in the last layer, alone; one
// that holds a file is not in the last layer for that reason.
TEST(PlanLayers, EmptyDirectoriesGoToTheLastLayer) {
    Closure c;
    c.dir("/usr").dir("/usr/lib").file("/usr/lib/libc.so.6", "libc6");
    c.dir("/proc").dir("/x").dir("/x/y");  // /x holds only an empty directory
    c.needs("libc6", {});
    auto layers = plan_layers(c.plan, c.groups, 10);
    ASSERT_EQ(layers.size(), 2u);  // empty directories alone make a loose layer
    EXPECT_EQ(paths_of(layers[0]), (Strings{"/usr", "/usr/lib", "/usr/lib/libc.so.6"}));
    EXPECT_TRUE(layers[1].loose);
    EXPECT_EQ(paths_of(layers[1]), (Strings{"/proc", "/x", "/x/y"}));
    expect_whole_layers(c.plan, layers);

    // With groups left over, the layer they share comes before the empty directories' one.
    c.file("/usr/lib/libm.so.6", "libm").needs("libm", {"libc6"});
    layers = plan_layers(c.plan, c.groups, 2);
    ASSERT_EQ(layers.size(), 2u);
    EXPECT_EQ(paths_of(layers[1]), (Strings{"/proc", "/x", "/x/y"}));
}

// An empty directory beneath a directory that holds a group's file: the last layer holds it
// with its parent, each layer being whole on its own.
TEST(PlanLayers, EmptyDirectoryBringsItsParentsIntoTheLastLayer) {
    Closure c;
    c.dir("/var").dir("/var/lib").file("/var/lib/status", "dpkg").dir("/var/tmp");
    c.needs("dpkg", {});
    const auto layers = plan_layers(c.plan, c.groups, 10);
    ASSERT_EQ(layers.size(), 2u);
    EXPECT_EQ(paths_of(layers[0]), (Strings{"/var", "/var/lib", "/var/lib/status"}));
    EXPECT_EQ(paths_of(layers[1]), (Strings{"/var", "/var/tmp"}));
}

// A group's layer holds the same entries whatever else is in the image: other groups ranked
// above it that share its directories, other loose files, another layer limit.
TEST(PlanLayers, AGroupsLayerDependsOnlyOnTheGroup) {
    auto libc6 = [](Closure& c) {
        c.dir("/usr").dir("/usr/lib").dir("/usr/share").dir("/usr/share/doc");
        c.file("/usr/lib/libc.so.6", "libc6").file("/usr/share/doc/libc6", "libc6");
        c.needs("libc6", {});
    };
    Closure first;
    libc6(first);
    first.dir("/usr/bin").file("/usr/bin/app", "app").needs("app", {"libc6"});
    first.file("/etc-loose");
    Closure second;
    libc6(second);
    // "base" is needed by everything here, so its layer comes before libc6's and holds /usr
    // and /usr/lib too.
    second.file("/usr/lib/base.so", "base").needs("base", {}).needs("libc6", {"base"});
    second.dir("/opt").file("/opt/tool", "tool").needs("tool", {"libc6", "base"});
    second.dir("/usr/share/empty");

    const auto a = plan_layers(first.plan, first.groups, 8);
    const auto b = plan_layers(second.plan, second.groups, 4);
    ASSERT_EQ(a.front().groups, Strings{"libc6"});
    ASSERT_EQ(b.at(1).groups, Strings{"libc6"});
    EXPECT_EQ(paths_of(a.front()), paths_of(b.at(1)));
    EXPECT_EQ(paths_of(a.front()), (Strings{"/usr", "/usr/lib", "/usr/lib/libc.so.6", "/usr/share",
                                            "/usr/share/doc", "/usr/share/doc/libc6"}));
    EXPECT_EQ(b.at(0).groups, Strings{"base"});
    EXPECT_EQ(paths_of(b.at(0)), (Strings{"/usr", "/usr/lib", "/usr/lib/base.so"}));
    expect_whole_layers(first.plan, a);
    expect_whole_layers(second.plan, b);
}

TEST(PlanLayers, GroupsWithoutPlannedFilesGetNoLayer) {
    Closure c;
    c.file("/bin-app", "app").needs("app", {"gone", "libc6"}).needs("gone", {}).needs("libc6", {});
    c.groups.of["/usr/share/doc/gone"] = "gone";  // a path of a group, left out of the plan
    const auto layers = plan_layers(c.plan, c.groups, 10);
    ASSERT_EQ(layers.size(), 1u);
    EXPECT_EQ(layers[0].groups, Strings{"app"});
    EXPECT_FALSE(layers[0].loose);
    EXPECT_EQ(paths_of(layers[0]), Strings{"/bin-app"});
}

// A Nix store path entry is one entry of its group's layer, with the directories above it.
TEST(PlanLayers, StorePathEntriesAreTheirGroupsLayer) {
    const std::string glibc = "/nix/store/0c7gp6q4c5mbxmxfqkjdi6jx0y2c8cqz-glibc-2.40";
    const std::string bash = "/nix/store/1b7gp6q4c5mbxmxfqkjdi6jx0y2c8cqz-bash-5.2";
    Plan plan;
    plan.add({"/nix", EntryKind::Directory, "/nix", "", 0755, {}});
    plan.add({"/nix/store", EntryKind::Directory, "/nix/store", "", 0755, {}});
    plan.add({glibc, EntryKind::StorePath, glibc, "", 0, {}});
    plan.add({bash, EntryKind::StorePath, bash, "", 0, {}});
    ClosureGroups groups;
    groups.of = {{glibc, glibc}, {bash, bash}};
    groups.needs = {{glibc, {}}, {bash, {glibc}}};
    const auto layers = plan_layers(plan, groups, 10);
    ASSERT_EQ(layers.size(), 2u);
    EXPECT_EQ(paths_of(layers[0]), (Strings{"/nix", "/nix/store", glibc}));
    EXPECT_EQ(paths_of(layers[1]), (Strings{"/nix", "/nix/store", bash}));
    EXPECT_EQ(layers[0].description(), "store path " + glibc);
}

// ---------------------------------------------------------------------------------------------
// Descriptions (the image's history).

TEST(LayerDescription, NamesPackagesStorePathsAndLooseFiles) {
    Layer layer;
    EXPECT_EQ(layer.description(), "empty");
    layer.loose = true;
    EXPECT_EQ(layer.description(), "loose files");
    layer = Layer{};
    layer.groups = {"libc6:amd64"};
    EXPECT_EQ(layer.description(), "package libc6:amd64");
    layer.groups = {"a:amd64", "b:amd64"};
    layer.loose = true;
    EXPECT_EQ(layer.description(), "packages a:amd64, b:amd64; loose files");
    layer.groups = {"/nix/store/x-glibc", "/nix/store/y-bash"};
    layer.loose = false;
    EXPECT_EQ(layer.description(), "store paths /nix/store/x-glibc, /nix/store/y-bash");
    // Both kinds (a Nix program on a Debian host, with --package): packages first.
    layer.groups = {"/nix/store/x-glibc", "zlib1g:amd64", "/nix/store/y-bash", "base:all"};
    layer.loose = true;
    EXPECT_EQ(layer.description(),
              "packages zlib1g:amd64, base:all; store paths /nix/store/x-glibc, "
              "/nix/store/y-bash; loose files");
}

}  // namespace
}  // namespace ocitools
