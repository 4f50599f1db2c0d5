// Cancellation: a build stops at the next safe point once a signal asked it to, and unwinds
// normally, so the temporary bundle is removed by the same code as for any other failure.
// The CLI waits for SIGINT/SIGTERM/SIGHUP in a thread of its own (sigwait) and calls
// request_cancel(); long loops call throw_if_cancelled().
#pragma once

#include "base/error.h"

namespace ocitools {

class Cancelled : public Error {
  public:
    explicit Cancelled(int signal);
    int signal() const noexcept { return signal_; }

  private:
    int signal_;
};

void request_cancel(int signal) noexcept;
// Throws Cancelled when a cancel was requested.
void throw_if_cancelled();
// The signal that asked for the cancel, or 0: for loops that must stop something else first.
int cancel_signal() noexcept;

}  // namespace ocitools
