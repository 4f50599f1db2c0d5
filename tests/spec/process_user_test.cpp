#include "spec/process_user.h"

#include <gtest/gtest.h>

#include "base/error.h"
#include "test_support.h"

namespace ocitools {
namespace {

const std::string kPasswd =
    "# comment\n"
    "root:x:0:0:root:/root:/bin/sh\n"
    "\n"
    "www:x:33:34:www:/var/www:/usr/sbin/nologin\n"
    "short:x\n"
    "app:x:1000:1001::/home/app:/bin/sh\n";
const std::string kGroup = "root:x:0:\nwww-data:x:34:\nstaff:x:50:app\n";

ResolvedUser resolve(const std::string& value) {
    return resolve_user(UserSpec::parse(value, "--user"), kPasswd, kGroup, "--user");
}

TEST(UserSpec, ParsesUserAndGroup) {
    EXPECT_EQ(UserSpec::parse("1000", "--user"), (UserSpec{"1000", std::nullopt}));
    EXPECT_EQ(UserSpec::parse("app:staff", "--user"), (UserSpec{"app", "staff"}));
    EXPECT_EQ(UserSpec::parse("0:0", "--user").to_string(), "0:0");
}

TEST(UserSpec, MalformedValuesAreErrors) {
    for (const char* bad : {"", ":1", "1:", "1:2:3", "4294967295", "99999999999", "12ab"})
        EXPECT_ERROR_CONTAINS(UserSpec::parse(bad, "--user"), SpecError, "expected UID[:GID]");
}

TEST(ResolveUser, NumbersNeedNoLookup) {
    EXPECT_EQ(resolve("1234:5678"), (ResolvedUser{1234, 5678, std::nullopt}));
    // Docker's rule: a uid alone takes the gid of its passwd entry, else 0.
    EXPECT_EQ(resolve("1000"), (ResolvedUser{1000, 1001, "app"}));
    EXPECT_EQ(resolve("4242"), (ResolvedUser{4242, 0, std::nullopt}));
    EXPECT_EQ(resolve_user(UserSpec::parse("7:8", "--user"), "", "", "--user").gid, 8u);
}

TEST(ResolveUser, NamesAreLookedUpInPasswdAndGroup) {
    EXPECT_EQ(resolve("www"), (ResolvedUser{33, 34, "www"}));
    EXPECT_EQ(resolve("app:staff"), (ResolvedUser{1000, 50, "app"}));
    EXPECT_EQ(resolve("www:www-data").gid, 34u);
    EXPECT_EQ(resolve("root:50"), (ResolvedUser{0, 50, "root"}));
}

TEST(ResolveUser, UnknownNamesAreErrors) {
    EXPECT_ERROR_CONTAINS(resolve("nosuch"), SpecError,
                          "--user nosuch: no user nosuch in the rootfs's /etc/passwd");
    EXPECT_ERROR_CONTAINS(resolve("short"), SpecError, "no user short");
    EXPECT_ERROR_CONTAINS(resolve("app:wheel"), SpecError,
                          "no group wheel in the rootfs's /etc/group");
    EXPECT_ERROR_CONTAINS(resolve_user(UserSpec::parse("app", "--user"), "", "", "--user"),
                          SpecError, "no user app");
}

TEST(ParseId, RejectsMinusOneAndJunk) {
    EXPECT_EQ(parse_id("0"), 0u);
    EXPECT_EQ(parse_id("4294967294"), 4294967294u);
    EXPECT_EQ(parse_id("4294967295"), std::nullopt);
    EXPECT_EQ(parse_id("-1"), std::nullopt);
    EXPECT_EQ(parse_id(" 1"), std::nullopt);
    EXPECT_EQ(parse_id(""), std::nullopt);
}

}  // namespace
}  // namespace ocitools
