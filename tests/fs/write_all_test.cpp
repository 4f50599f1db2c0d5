#include "fs/write_all.h"

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <string>
#include <thread>

#include "base/error.h"
#include "fs/unique_fd.h"
#include "test_support.h"

namespace ocitools {
namespace {

TEST(WriteAll, WritesEverythingAndPwriteAtTheOffset) {
    testing::ScratchDir dir;
    const auto path = dir / "f";
    UniqueFd fd(open(path.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600));
    ASSERT_TRUE(fd);
    write_all(fd.get(), "hello world", path);
    pwrite_all(fd.get(), "W", 6, path);
    write_all(fd.get(), "!", path);  // pwrite left the file offset at the end of the first write
    EXPECT_EQ(testing::read_text(path), "hello World!");
}

TEST(WriteAll, NamesThePathAndTheCause) {
    EXPECT_ERROR_CONTAINS(write_all(-1, "x", "/some/file"), SystemError,
                          "cannot write /some/file: Bad file descriptor");
}

extern "C" void on_alarm(int) {}

// write(2) to a full pipe blocks; a signal with a handler installed without SA_RESTART then makes
// it fail with EINTR, having written nothing. write_all must go on writing, not throw.
TEST(WriteAll, RetriesWhenASignalInterruptsIt) {
    int p[2];
    ASSERT_EQ(pipe2(p, O_CLOEXEC), 0);
    UniqueFd read_end(p[0]), write_end(p[1]);
    const int capacity = fcntl(write_end.get(), F_GETPIPE_SZ);
    ASSERT_GT(capacity, 0);
    struct sigaction action {
    }, old{};
    action.sa_handler = on_alarm;  // no SA_RESTART
    ASSERT_EQ(sigaction(SIGUSR1, &action, &old), 0);
    const std::string full(static_cast<size_t>(capacity), 'p'), data(4096, 'x');
    write_all(write_end.get(), full, "pipe");  // fits: the pipe is now full
    const pthread_t writer = pthread_self();
    std::thread reader([&] {
        usleep(100 * 1000);  // the writer is blocked on the full pipe by now
        pthread_kill(writer, SIGUSR1);
        usleep(100 * 1000);
        std::string got(full.size() + data.size(), '\0');
        for (size_t done = 0; done < got.size();) {
            const ssize_t n = read(read_end.get(), got.data() + done, got.size() - done);
            if (n <= 0) break;
            done += static_cast<size_t>(n);
        }
        EXPECT_EQ(got, full + data);
    });
    EXPECT_NO_THROW(write_all(write_end.get(), data, "pipe"));
    reader.join();
    sigaction(SIGUSR1, &old, nullptr);
}

}  // namespace
}  // namespace ocitools
