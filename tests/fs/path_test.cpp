#include "fs/path.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "base/error.h"
#include "test_support.h"

namespace ocitools {
namespace {

std::vector<std::string> names_of(std::string_view path) {
    const auto views = path_names(path);
    return {views.begin(), views.end()};
}

TEST(PathNames, SkipEmptyAndDotKeepDotDot) {
    EXPECT_EQ(names_of("/a//./../b/"), (std::vector<std::string>{"a", "..", "b"}));
    EXPECT_EQ(names_of("a/b"), (std::vector<std::string>{"a", "b"}));
    EXPECT_TRUE(names_of("/").empty());
    EXPECT_TRUE(names_of("").empty());
    EXPECT_TRUE(names_of("/././/").empty());
}

TEST(JoinPath, CleansButKeepsDotDot) {
    EXPECT_EQ(join_path("/usr//lib/", "./x"), "/usr/lib/x");
    EXPECT_EQ(join_path("/usr/lib", "../x"), "/usr/lib/../x");
    EXPECT_EQ(join_path("/", ""), "/");
    EXPECT_EQ(parent_path("/usr/bin/x"), "/usr/bin");
    EXPECT_EQ(parent_path("/x"), "/");
    EXPECT_EQ(parent_path("/"), "/");
}

TEST(StripRoot, DropsEveryLeadingSlash) {
    EXPECT_EQ(strip_root("/usr/bin/x"), "usr/bin/x");
    EXPECT_EQ(strip_root("//usr"), "usr");
    EXPECT_EQ(strip_root("/"), "");
    EXPECT_EQ(strip_root("usr"), "usr");
}

TEST(SplitLast, AbsoluteRelativeAndBareNames) {
    auto split = [](std::string_view p) {
        const PathSplit s = split_last(p);
        return std::string(s.dir) + "|" + std::string(s.name);
    };
    EXPECT_EQ(split("/usr/bin/x"), "/usr/bin|x");
    EXPECT_EQ(split("/x"), "/|x");
    EXPECT_EQ(split("usr/x"), "usr|x");
    EXPECT_EQ(split("x"), ".|x");
    EXPECT_EQ(split("/usr/"), "/usr|");  // a trailing slash leaves no name: callers refuse it
}

TEST(CanonPath, NormalisesLexically) {
    EXPECT_EQ(CanonPath("/").str(), "/");
    EXPECT_EQ(CanonPath("//").str(), "/");
    EXPECT_EQ(CanonPath("/a/./b/").str(), "/a/b");
    EXPECT_EQ(CanonPath("/a//b").str(), "/a/b");
    EXPECT_EQ(CanonPath("/a/b/../c").str(), "/a/c");
    EXPECT_EQ(CanonPath("/a/..").str(), "/");
    EXPECT_EQ(CanonPath("/..").str(), "/");
    EXPECT_EQ(CanonPath("/../a/../../b").str(), "/b");
    EXPECT_EQ(CanonPath("/a/./b/"), CanonPath("/a/b"));
    EXPECT_TRUE(CanonPath("/.").is_root());
}

TEST(CanonPath, RefusesRelativeAndEmptyPaths) {
    EXPECT_ERROR_CONTAINS(CanonPath("a/b"), Error, "path a/b is not absolute");
    EXPECT_ERROR_CONTAINS(CanonPath(""), Error, "not absolute");
}

TEST(CanonPath, Accessors) {
    const CanonPath p("/usr/lib/x");
    EXPECT_EQ(p.name(), "x");
    EXPECT_EQ(p.relative(), "usr/lib/x");
    EXPECT_EQ(p.parent().str(), "/usr/lib");
    EXPECT_EQ(CanonPath("/x").parent().str(), "/");
    EXPECT_EQ(CanonPath::root().parent().str(), "/");
    EXPECT_EQ(CanonPath::root().name(), "");
    EXPECT_EQ(CanonPath::root().relative(), "");
}

TEST(CanonPath, IsBeneathIsStrictAndByWholeNames) {
    const CanonPath a("/a");
    EXPECT_TRUE(CanonPath("/a/b").is_beneath(a));
    EXPECT_TRUE(CanonPath("/a/b/c").is_beneath(a));
    EXPECT_FALSE(CanonPath("/ab").is_beneath(a));
    EXPECT_FALSE(CanonPath("/a").is_beneath(a));
    EXPECT_FALSE(a.is_beneath(CanonPath("/a/b")));
    EXPECT_TRUE(a.is_beneath(CanonPath::root()));
    EXPECT_FALSE(CanonPath::root().is_beneath(CanonPath::root()));
    EXPECT_TRUE(CanonPath("/a/b/").is_beneath(CanonPath("/a/")));
}

TEST(SplitPathList, KeepsEveryEntryInOrderEmptyOnesToo) {
    EXPECT_EQ(split_path_list("/a:/b"), (std::vector<std::string>{"/a", "/b"}));
    EXPECT_EQ(split_path_list("/a::b:"), (std::vector<std::string>{"/a", "", "b", ""}));
    EXPECT_EQ(split_path_list(""), std::vector<std::string>{""});
}

}  // namespace
}  // namespace ocitools
