// LibrarySearch: find the files a dynamically linked ELF object loads, by the rules of glibc's
// ld.so(8) (elf/dl-deps.c, elf/dl-load.c, elf/dl-cache.c), without running anything. Each
// DT_NEEDED, DT_FILTER and DT_AUXILIARY name of an object has its $ORIGIN, $LIB and $PLATFORM
// expanded ($X and ${X}); a name then holding a '/' is a path, any other is searched in:
//   1. DT_RPATH of the object, then of the object that loaded it, and so on up to the program,
//      only when the object has no DT_RUNPATH (an object with DT_RUNPATH has its DT_RPATH ignored);
//   2. LD_LIBRARY_PATH of the container (':' or ';' separated, $ORIGIN the program's);
//   3. the object's own DT_RUNPATH (not inherited);
//   4. /etc/ld.so.cache of the tree (entries compatible with the object);
//   5. the system's trusted directories.
// An object with DF_1_NODEFLIB has its names searched in neither 5 nor the cache entries that
// lie in 5. A DT_FILTER filtee must be found, a DT_AUXILIARY one is loaded when found.
// Candidates of another ELF class, byte order or machine are skipped, as ld.so skips them. A
// library already loaded (by SONAME, by path, or by the name it was loaded under) is reused, as
// ld.so reuses it. The whole process is simulated per root, breadth first, like ld.so's
// dependency loading (a filtee's own dependencies come right after the filter's).
//
// Where ld.so would choose by the CPU, we keep every choice: ld.so's search is run once for
// each kind of CPU (glibc-hwcaps level; for a glibc before 2.37, as the root's interpreter
// tells, also the legacy subdirectories tls/, the platform and the hwcap names), and the
// library each finds is included, since a container may run on another CPU. A library on
// LD_LIBRARY_PATH of a set-user-ID or set-group-ID program is kept along with what is found
// without it: ld.so ignores the variable when such a program runs in secure-execution mode.
#pragma once

#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "closure/elf/elf.h"
#include "closure/elf/file_tree.h"
#include "closure/elf/ldcache.h"
#include "closure/elf/loader_machine.h"

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
    // when it exists. `library_path` is LD_LIBRARY_PATH in the container (empty: unset).
    explicit LibrarySearch(const FileTree& tree, std::string library_path = {});

    // Simulate ld.so starting `path` (a program, or a library as if dlopen'ed). Throws
    // ClosureError naming the object and the soname when a library cannot be found, or the
    // program when its interpreter is missing.
    LoadSet load(const std::string& path);

    // The directories searched last, for objects of `identity` (Debian multiarch first).
    std::vector<std::string> system_directories(const ElfIdentity& identity) const;

    // True when the glibc of the ld.so at `interpreter` in the tree searches the legacy hwcaps
    // subdirectories: it says it is older than 2.37 ("release version 2.36" in its --version
    // text, read from the file), or it has no such text (glibc before 2.33 had no --version).
    bool searches_legacy_hwcaps(const std::string& interpreter);

  private:
    struct Object;
    struct Search;
    LoadSet load_once(const std::string& path, bool library_path);
    std::vector<std::string> search_directories(const std::vector<Object>& objects, size_t index,
                                                const std::vector<std::string>& library_path);
    std::vector<std::string> find(const std::string& name, const std::vector<std::string>& dirs,
                                  const ElfIdentity& identity, bool nodeflib, bool legacy);
    bool usable(const std::string& path, const ElfIdentity& identity);
    bool is_directory(const std::string& path);
    std::string expand(const std::string& entry, const Object& object) const;

    const FileTree& tree_;
    std::unique_ptr<LdCache> cache_;
    std::string library_path_;
    bool multiarch_ = false;
    // (soname, directories, identity, rules) -> paths found: libraries shared by many programs
    // are searched once.
    std::unordered_map<std::string, std::vector<std::string>> lookups_;
    std::unordered_map<std::string, bool> legacy_by_interpreter_;
    std::unordered_map<std::string, bool> directories_;  // is_directory(), asked once each
};

}  // namespace ocitools
