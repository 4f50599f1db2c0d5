#include "base/error.h"

#include <gtest/gtest.h>

namespace ocitools {
namespace {

TEST(Quote, PlainNamesStayPlain) {
    EXPECT_EQ(quote("/usr/lib/libc.so.6"), "/usr/lib/libc.so.6");
    EXPECT_EQ(quote("/srv/caf\xc3\xa9"), "/srv/caf\xc3\xa9");  // valid UTF-8
}

TEST(Quote, EverythingElseIsQuotedUnambiguously) {
    EXPECT_EQ(quote("a b"), "\"a b\"");
    EXPECT_EQ(quote("line\nbreak"), "\"line\\nbreak\"");
    EXPECT_EQ(quote("tab\there"), "\"tab\\there\"");
    EXPECT_EQ(quote("q\"uote"), "\"q\\\"uote\"");
    EXPECT_EQ(quote("back\\slash"), "\"back\\\\slash\"");
    EXPECT_EQ(quote(std::string("bad\xff"
                                "byte")),
              "\"bad\\xffbyte\"");
    EXPECT_EQ(quote(std::string("\xc3", 1)), "\"\\xc3\"");    // truncated sequence
    EXPECT_EQ(quote("\xed\xa0\x80"), "\"\\xed\\xa0\\x80\"");  // a surrogate
    EXPECT_EQ(quote("\xc0\xaf"), "\"\\xc0\\xaf\"");           // overlong "/"
    EXPECT_EQ(quote("caf\xc3\xa9 x"), "\"caf\xc3\xa9 x\"");
    EXPECT_EQ(quote(""), "\"\"");
}

TEST(SystemError, NamesThePathAndTheCause) {
    const SystemError e("cannot open", "/no such/file", ENOENT);
    EXPECT_STREQ(e.what(), "cannot open \"/no such/file\": No such file or directory");
    EXPECT_EQ(e.code(), ENOENT);
}

}  // namespace
}  // namespace ocitools
