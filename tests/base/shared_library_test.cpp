#include "base/shared_library.h"

#include <gtest/gtest.h>

#include <cstring>
#include <string>

#include "base/error.h"

namespace ocitools {
namespace {

// The message of the Error that looking `name` up throws, or "no error".
std::string error_of(const SharedLibrary& library, const char* name) {
    try {
        library.symbol(name);
    } catch (const Error& e) {
        return e.what();
    }
    return "no error";
}

TEST(SharedLibrary, FindsASymbolByPathOrElseBySoname) {
    const SharedLibrary by_path("/nonexistent/libc.so.6", "libc.so.6", "a test");
    auto* length = reinterpret_cast<decltype(&std::strlen)>(by_path.symbol("strlen"));
    EXPECT_EQ(length("four"), 4u);
}

TEST(SharedLibrary, SaysWhatNeedsTheLibraryWhenItCannotBeLoaded) {
    const SharedLibrary missing("/nonexistent/libmissing.so.1", "libmissing.so.1", "a test");
    const std::string message = error_of(missing, "f");
    EXPECT_NE(message.find("a test needs libmissing.so.1"), std::string::npos) << message;
    EXPECT_NE(message.find("/nonexistent/libmissing.so.1"), std::string::npos) << message;
    EXPECT_EQ(error_of(missing, "f"), message);  // and again: nothing half-opened
}

TEST(SharedLibrary, NamesAMissingSymbol) {
    const SharedLibrary libc("libc.so.6", "libc.so.6", "a test");
    EXPECT_NE(error_of(libc, "no_such_function_here").find("no_such_function_here"),
              std::string::npos);
}

}  // namespace
}  // namespace ocitools
