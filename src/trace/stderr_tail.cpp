#include "trace/stderr_tail.h"

#include <unistd.h>

#include <cerrno>

namespace ocitools {

namespace {
constexpr size_t kStderrKept = 8192;
constexpr int kStderrLines = 10;
}  // namespace

std::string StderrTail::finish() {
    thread_.join();
    size_t start = kept_.size();
    for (int lines = 0; start > 0; --start)
        if (kept_[start - 1] == '\n' && start != kept_.size() && ++lines == kStderrLines) break;
    return kept_.substr(start);
}

void StderrTail::run() {
    char buf[4096];
    for (;;) {
        const ssize_t n = read(fd_.get(), buf, sizeof buf);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return;
        kept_.append(buf, static_cast<size_t>(n));
        if (kept_.size() > 2 * kStderrKept) kept_.erase(0, kept_.size() - kStderrKept);
    }
}

}  // namespace ocitools
