// SharedLibrary: a C library opened at the first call of one of its functions (dlopen(3)), not
// at every start. Each shared object the executable names (DT_NEEDED) is mapped and relocated
// before main() on every run, whatever the command; libarchive alone brings libxml2, ICU and
// eight more, most of the start-up time (docs/benchmarks.md), though only build-image uses it.
//
// OCITOOLS_FORWARD defines a library function, under its own name and with the prototype of the
// library's header (a C function cannot be overloaded, so a prototype that differs does not
// build), as a call to the library's definition, looked up at its first call. The callers do
// not change. The executable is not linked against the library, so it does not export these
// names, and the library's own calls to its functions stay its own.
#pragma once

#include <mutex>

namespace ocitools {

class SharedLibrary {
  public:
    // `path`: the file the build linked against (a Nix store path keeps the very library the
    // package was built with); `soname`: tried next, through the loader's search (ld.so(8)), as
    // for a copy of the program that moved. `needed_by` says what needs it, for errors.
    constexpr SharedLibrary(const char* path, const char* soname, const char* needed_by)
        : path_(path), soname_(soname), needed_by_(needed_by) {}
    SharedLibrary(const SharedLibrary&) = delete;
    SharedLibrary& operator=(const SharedLibrary&) = delete;

    // The address of `name` in the library, opened on the first call (on any thread). Throws
    // Error naming the library and the cause when it cannot be opened or lacks `name`.
    void* symbol(const char* name) const;

  private:
    void* handle() const;

    const char* path_;
    const char* soname_;
    const char* needed_by_;
    mutable std::once_flag opened_;
    mutable void* handle_ = nullptr;
};

}  // namespace ocitools

// Defines the C function `name`, declared by its library's header as `ret name params`, as a
// call to the same function of `library` (a SharedLibrary); `args` names the parameters.
#define OCITOOLS_FORWARD(library, ret, name, params, args)                               \
    extern "C" ret name params {                                                         \
        static const auto real = reinterpret_cast<decltype(&::name)>((library).symbol(#name)); \
        return real args;                                                                \
    }
