#include "base/cancel.h"

#include <gtest/gtest.h>

#include <csignal>
#include <string>

namespace ocitools {
namespace {

// The one process-wide request: asked once, it stays, and names the signal that asked.
TEST(Cancel, ARequestIsThrownWithItsSignal) {
    EXPECT_NO_THROW(throw_if_cancelled());
    request_cancel(SIGTERM);
    try {
        throw_if_cancelled();
        ADD_FAILURE() << "no Cancelled after request_cancel";
    } catch (const Cancelled& e) {
        EXPECT_EQ(e.signal(), SIGTERM);
        EXPECT_NE(std::string(e.what()).find("interrupted by signal 15"), std::string::npos)
            << e.what();
    }
    EXPECT_THROW(throw_if_cancelled(), Cancelled);  // still asked
    request_cancel(0);                              // reset for the other tests
    EXPECT_NO_THROW(throw_if_cancelled());
}

}  // namespace
}  // namespace ocitools
