// LibrarySearch: find the files a dynamically linked ELF object loads, by the rules of glibc's
// ld.so(8), without running anything:
//   1. DT_RPATH of the object, then of the object that loaded it, and so on up to the program,
//      only when the object has no DT_RUNPATH (an object with DT_RUNPATH has its DT_RPATH ignored);
//   2. the object's own DT_RUNPATH (not inherited);
//   3. /etc/ld.so.cache of the tree (entries compatible with the object);
//   4. the system's trusted directories.
// $ORIGIN, $LIB and $PLATFORM are expanded in both the $X and ${X} forms. A DT_NEEDED holding a
// '/' is a path. Candidates of another ELF class, byte order or machine are skipped, as ld.so
// skips them. A library already loaded (by SONAME or by the name it was loaded under) is reused,
// as ld.so reuses it. The whole process is simulated per root, breadth first, like ld.so's
// dependency loading.
//
// Where ld.so would choose by the CPU, we keep every choice: each glibc-hwcaps variant of a
// library is included along with the base library it shadows, since a container may run on
// another CPU.
#pragma once

#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "closure/elf/elf.h"
#include "closure/elf/file_tree.h"
#include "closure/elf/ldcache.h"

namespace ocitools {

// Everything ld.so would open to start one root object.
struct LoadSet {
    std::string interpreter;             // PT_INTERP as written, empty when none
    std::vector<std::string> libraries;  // paths as found (not symlink-resolved), load order
    std::vector<std::string> needed_by;  // for each library, the object whose DT_NEEDED named it
};

class LibrarySearch {
  public:
    // `tree` is where the files live (the host, or a rootfs); the tree's ld.so.cache is read
    // when it exists.
    explicit LibrarySearch(const FileTree& tree);

    // Simulate ld.so starting `path` (a program, or a library as if dlopen'ed). Throws
    // ClosureError naming the object and the soname when a library cannot be found, or the
    // program when its interpreter is missing.
    LoadSet load(const std::string& path);

    // The directories searched last, for objects of `identity` (Debian multiarch first).
    std::vector<std::string> system_directories(const ElfIdentity& identity) const;

  private:
    struct Object;
    std::vector<std::string> search_directories(const std::vector<Object>& objects, size_t index);
    std::vector<std::string> find_in_directories(const std::string& name,
                                                 const std::vector<std::string>& dirs,
                                                 const ElfIdentity& identity);
    std::vector<std::string> find_in_cache(const std::string& name, const ElfIdentity& identity);
    bool usable(const std::string& path, const ElfIdentity& identity);
    std::string expand(const std::string& entry, const Object& object) const;

    const FileTree& tree_;
    std::unique_ptr<LdCache> cache_;
    bool multiarch_ = false;
    // (soname, directories, identity) -> paths found: libraries shared by many programs are
    // searched once.
    std::unordered_map<std::string, std::vector<std::string>> lookups_;
};

// The Debian multiarch tuple of an ELF identity ("x86_64-linux-gnu"), empty when unknown.
std::string multiarch_tuple(const ElfIdentity& identity);

}  // namespace ocitools
