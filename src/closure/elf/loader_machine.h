// What glibc's ld.so does differently per machine, as tables: the glibc-hwcaps and legacy hwcaps
// subdirectories it tries, AT_PLATFORM, the standard interpreter, the Debian multiarch tuple.
// LibrarySearch (library_search.h) applies them.
#pragma once

#include <string>
#include <vector>

#include "closure/elf/elf.h"

namespace ocitools {

// glibc-hwcaps subdirectory names for a machine, best first ("x86-64-v4" ...).
std::vector<std::string> hwcaps_subdirs(const ElfIdentity& id);
// AT_PLATFORM as the kernel gives it ("x86_64"), "unknown" when we do not know it.
std::string platform_of(const ElfIdentity& id);
// Legacy hwcaps subdirectories (glibc before 2.37) for the hwcap names and platform `parts`.
std::vector<std::string> legacy_subdirs(std::vector<std::string> parts);
// Per kind of CPU ld.so tells apart, the subdirectories it tries in each directory, in order
// ("" for the directory itself); `legacy`: glibc before 2.37.
std::vector<std::vector<std::string>> cpu_kinds(const ElfIdentity& id, bool legacy);
// The glibc ld.so for a machine, for roots that name none; empty when unknown.
std::string standard_interpreter(const ElfIdentity& id);
// The Debian multiarch tuple of an ELF identity ("x86_64-linux-gnu"), empty when unknown.
std::string multiarch_tuple(const ElfIdentity& identity);

}  // namespace ocitools
