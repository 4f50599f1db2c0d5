#include "base/shared_library.h"

#include <dlfcn.h>

#include <string>

#include "base/error.h"

namespace ocitools {

namespace {
std::string last_dlerror() {
    const char* e = ::dlerror();
    return e != nullptr ? e : "unknown error";
}
}  // namespace

void* SharedLibrary::handle() const {
    std::call_once(opened_, [this] {
        // RTLD_LAZY, as the loader binds a DT_NEEDED library; RTLD_LOCAL: its names stay its own.
        handle_ = ::dlopen(path_, RTLD_LAZY | RTLD_LOCAL);
        if (handle_ != nullptr) return;
        const std::string at_path = last_dlerror();
        handle_ = ::dlopen(soname_, RTLD_LAZY | RTLD_LOCAL);
        if (handle_ != nullptr) return;
        throw Error(std::string(needed_by_) + " needs " + soname_ + ", which cannot be loaded: " +
                    at_path + "; " + last_dlerror());
    });
    return handle_;
}

void* SharedLibrary::symbol(const char* name) const {
    void* h = handle();
    ::dlerror();  // clear
    void* address = ::dlsym(h, name);
    if (address == nullptr)
        throw Error(std::string(needed_by_) + " needs " + name + " from " + soname_ + ": " +
                    last_dlerror());
    return address;
}

}  // namespace ocitools
