#include "validate/startup_check.h"

#include <span>

#include "closure/elf/library_search.h"
#include "roots/program_lookup.h"
#include "closure/script/shebang.h"
#include "base/error.h"
#include "fs/caching_disk.h"

namespace ocitools {

namespace {

constexpr int kMaxScriptDepth = 8;

void check_file(const FileTree& tree, LibrarySearch& libraries, const std::string& path,
                const std::string& container_path, int depth) {
    const std::string head = tree.read_prefix(path, kShebangMax);
    if (ElfFile::has_magic(
            std::span(reinterpret_cast<const std::byte*>(head.data()), head.size()))) {
        // The kernel runs the file itself: ld.so takes $ORIGIN from /proc/self/exe, the real
        // path, not from the symlink it was named by (/usr/bin/java -> .../jvm/.../bin/java).
        if (tree.elf(path)->is_dynamic()) libraries.load(tree.disk().real_path(path));
        return;
    }
    const auto shebang = parse_shebang(head);
    if (!shebang) throw ClosureError(quote(path) + " is neither an ELF executable nor a #! script");
    if (depth >= kMaxScriptDepth)
        throw ClosureError(quote(path) + ": too many nested #! interpreters");
    if (!tree.is_regular_file(shebang->interpreter))
        throw ClosureError("script " + quote(path) + ": its #! interpreter " +
                           quote(shebang->interpreter) + " does not exist");
    check_file(tree, libraries, shebang->interpreter, container_path, depth + 1);
    if (shebang->env_program) {
        const std::string found = find_in_tree(tree, *shebang->env_program, container_path);
        if (found.empty())
            throw ClosureError("script " + quote(path) + ": " + quote(*shebang->env_program) +
                               " is not found on the container's PATH " + container_path);
        check_file(tree, libraries, found, container_path, depth + 1);
    }
}

}  // namespace

std::string find_in_tree(const FileTree& tree, const std::string& name,
                         const std::string& search_path) {
    if (name.find('/') != std::string::npos) return tree.is_regular_file(name) ? name : "";
    for (const auto& dir : search_path_dirs(search_path)) {
        const std::string candidate = dir + "/" + name;
        const auto st = tree.stat(candidate);
        if (st && S_ISREG(st->st_mode) && (st->st_mode & 0111)) return candidate;
    }
    return {};
}

void check_startup(const Disk& rootfs, const std::string& program,
                   const std::string& container_path, const std::string& library_path) {
    const CachingDisk disk(rootfs);
    const FileTree tree(disk);
    LibrarySearch libraries(tree, library_path);
    check_file(tree, libraries, program, container_path, 0);
}

}  // namespace ocitools
