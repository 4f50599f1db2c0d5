#include "closure/elf/library_search.h"

#include <elf.h>

#include <cerrno>
#include <deque>
#include <set>

#include "fs/path.h"
#include "base/error.h"

namespace ocitools {

struct LibrarySearch::Object {
    std::string path;    // as found
    std::string origin;  // $ORIGIN: the directory it was found in
    std::shared_ptr<const ElfFile> elf;
    long loader;  // index of the object that loaded it, -1 for the root
};

namespace {

std::string join(const std::string& dir, const std::string& name) {
    if (!dir.empty() && dir.back() == '/') return dir + name;
    return dir + "/" + name;
}

// glibc-hwcaps subdirectories ld.so knows for a machine (elf/dl-hwcaps*.c, sysdeps/*/dl-hwcaps*).
std::vector<std::string> hwcaps_subdirs(const ElfIdentity& id) {
    switch (id.machine) {
        case EM_X86_64:
            if (id.elf_class == ElfClass::Elf64) return {"x86-64-v4", "x86-64-v3", "x86-64-v2"};
            return {};
        case EM_PPC64:
            return {"power10", "power9"};
        case EM_S390:
            return {"z16", "z15", "z14", "z13"};
        default:
            return {};
    }
}

std::string platform_of(const ElfIdentity& id) {
    // AT_PLATFORM as the kernel gives it for each machine.
    switch (id.machine) {
        case EM_X86_64:
            return id.elf_class == ElfClass::Elf64 ? "x86_64" : "i686";
        case EM_386:
            return "i686";
        case EM_AARCH64:
            return "aarch64";
        case EM_ARM:
            return "v7l";
        case EM_PPC64:
            return id.data == ElfData::Little ? "ppc64le" : "ppc64";
        case EM_S390:
            return "s390x";
        case EM_RISCV:
            return "riscv64";
        default:
            return "unknown";
    }
}

}  // namespace

std::string multiarch_tuple(const ElfIdentity& id) {
    const bool le = id.data == ElfData::Little;
    switch (id.machine) {
        case EM_X86_64:
            return id.elf_class == ElfClass::Elf64 ? "x86_64-linux-gnu" : "x86_64-linux-gnux32";
        case EM_386:
            return "i386-linux-gnu";
        case EM_AARCH64:
            return le ? "aarch64-linux-gnu" : "aarch64_be-linux-gnu";
        case EM_ARM:
            return "arm-linux-gnueabihf";
        case EM_PPC64:
            return le ? "powerpc64le-linux-gnu" : "powerpc64-linux-gnu";
        case EM_PPC:
            return "powerpc-linux-gnu";
        case EM_S390:
            return id.elf_class == ElfClass::Elf64 ? "s390x-linux-gnu" : "s390-linux-gnu";
        case EM_RISCV:
            return "riscv64-linux-gnu";
        case EM_MIPS:
            if (id.elf_class == ElfClass::Elf64)
                return le ? "mips64el-linux-gnuabi64" : "mips64-linux-gnuabi64";
            return le ? "mipsel-linux-gnu" : "mips-linux-gnu";
        case EM_LOONGARCH:
            return "loongarch64-linux-gnu";
        default:
            return {};
    }
}

LibrarySearch::LibrarySearch(const FileTree& tree) : tree_(tree) {
    const Disk& disk = tree_.disk();
    if (const std::string path = "/etc/ld.so.cache"; disk.is_regular_file(path)) {
        const FileBytes bytes = disk.open(path)->bytes(nullptr);
        cache_ = std::make_unique<LdCache>(LdCache::parse(bytes.bytes(), disk.shown(path)));
    }
    // Debian's glibc searches /lib/<tuple> and /usr/lib/<tuple> before /lib and /usr/lib; other
    // distributions use /lib64 and /usr/lib64 for 64-bit objects.
    const auto st = tree_.stat("/usr/lib/x86_64-linux-gnu");
    const auto st2 = tree_.stat("/usr/lib/aarch64-linux-gnu");
    multiarch_ = (st && S_ISDIR(st->st_mode)) || (st2 && S_ISDIR(st2->st_mode));
}

std::vector<std::string> LibrarySearch::system_directories(const ElfIdentity& id) const {
    const std::string tuple = multiarch_tuple(id);
    if (multiarch_ && !tuple.empty())
        return {"/lib/" + tuple, "/usr/lib/" + tuple, "/lib", "/usr/lib"};
    if (id.elf_class == ElfClass::Elf64) return {"/lib64", "/usr/lib64"};
    return {"/lib", "/usr/lib"};
}

std::string LibrarySearch::expand(const std::string& entry, const Object& object) const {
    // ld.so(8) "Dynamic string tokens": $ORIGIN, $LIB, $PLATFORM, also as ${...}.
    const ElfIdentity& id = object.elf->identity();
    const std::string tuple = multiarch_tuple(id);
    const std::string lib = multiarch_ && !tuple.empty()
                                ? "lib/" + tuple
                                : (id.elf_class == ElfClass::Elf64 ? "lib64" : "lib");
    std::string out;
    for (size_t i = 0; i < entry.size();) {
        if (entry[i] != '$') {
            out += entry[i++];
            continue;
        }
        bool matched = false;
        for (const auto& [token, value] :
             {std::pair<std::string, std::string>{"ORIGIN", object.origin},
              {"LIB", lib},
              {"PLATFORM", platform_of(id)}}) {
            const std::string braced = "{" + token + "}";
            if (entry.compare(i + 1, braced.size(), braced) == 0) {
                out += value;
                i += 1 + braced.size();
                matched = true;
                break;
            }
            // The bare form ends at a character that cannot continue a name.
            if (entry.compare(i + 1, token.size(), token) == 0) {
                const size_t after = i + 1 + token.size();
                if (after == entry.size() ||
                    !(isalnum(static_cast<unsigned char>(entry[after])) || entry[after] == '_')) {
                    out += value;
                    i = after;
                    matched = true;
                    break;
                }
            }
        }
        if (!matched) out += entry[i++];
    }
    return out;
}

bool LibrarySearch::usable(const std::string& path, const ElfIdentity& identity) {
    if (!tree_.is_regular_file(path)) return false;
    try {
        const auto elf = tree_.elf(path);
        return elf && elf->identity() == identity;
    } catch (const SystemError&) {
        // A library that is there but cannot be read (permission denied) would be copied
        // wrong or not at all: say which and why, rather than "not found".
        throw;
    } catch (const Error&) {
        return false;  // ld.so skips a candidate that is not a valid object
    }
}

std::vector<std::string> LibrarySearch::find_in_directories(const std::string& name,
                                                            const std::vector<std::string>& dirs,
                                                            const ElfIdentity& identity) {
    const auto subdirs = hwcaps_subdirs(identity);
    for (const auto& dir : dirs) {
        std::vector<std::string> found;
        for (const auto& sub : subdirs) {
            const std::string candidate = join(join(join(dir, "glibc-hwcaps"), sub), name);
            if (usable(candidate, identity)) found.push_back(candidate);
        }
        const std::string base = join(dir, name);
        if (usable(base, identity)) found.push_back(base);
        if (!found.empty()) return found;
    }
    return {};
}

std::vector<std::string> LibrarySearch::find_in_cache(const std::string& name,
                                                      const ElfIdentity& identity) {
    if (!cache_) return {};
    std::vector<std::string> found;
    bool have_base = false;
    for (const LdCacheEntry* entry : cache_->find(name)) {
        if (!compatible(*entry, identity) || !usable(entry->path, identity)) continue;
        if (entry->hwcaps_subdir) {
            found.push_back(entry->path);
        } else if (!have_base) {
            found.push_back(entry->path);  // the first base entry is the one ld.so takes
            have_base = true;
        }
    }
    return found;
}

std::vector<std::string> LibrarySearch::search_directories(const std::vector<Object>& objects,
                                                           size_t index) {
    std::vector<std::string> dirs;
    const Object& object = objects[index];
    auto add_list = [&](const std::string& list, const Object& owner) {
        for (const auto& entry : split_path_list(list)) {
            if (entry.empty()) continue;
            std::string dir = expand(entry, owner);
            // A relative entry is relative to the process's working directory, which the
            // closure cannot know; ld.so users do not rely on it.
            if (dir.empty() || dir[0] != '/') continue;
            dirs.push_back(std::move(dir));
        }
    };
    if (!object.elf->runpath()) {
        for (long i = static_cast<long>(index); i >= 0;
             i = objects[static_cast<size_t>(i)].loader) {
            const Object& loader = objects[static_cast<size_t>(i)];
            if (loader.elf->rpath() && !loader.elf->runpath())
                add_list(*loader.elf->rpath(), loader);
        }
    } else {
        add_list(*object.elf->runpath(), object);
    }
    return dirs;
}

LoadSet LibrarySearch::load(const std::string& path) {
    LoadSet result;
    auto root_elf = tree_.elf(path);
    if (!root_elf) throw ClosureError(quote(path) + ": not an ELF object");
    std::vector<Object> objects;
    objects.push_back(Object{path, parent_path(path), root_elf, -1});
    std::set<std::string> loaded;  // names that satisfy a DT_NEEDED: sonames and load names
    if (root_elf->soname()) loaded.insert(*root_elf->soname());

    if (root_elf->interpreter()) {
        result.interpreter = *root_elf->interpreter();
        if (!tree_.is_regular_file(result.interpreter))
            throw ClosureError(quote(path) + ": its ELF interpreter " + quote(result.interpreter) +
                               " does not exist");
        // ld.so is already loaded as the interpreter; libc's DT_NEEDED on it is satisfied.
        loaded.insert(result.interpreter);
        if (auto interp = tree_.elf(result.interpreter); interp && interp->soname())
            loaded.insert(*interp->soname());
    }

    for (size_t i = 0; i < objects.size(); ++i) {
        const ElfIdentity identity = objects[i].elf->identity();
        for (const std::string& name : objects[i].elf->needed()) {
            if (loaded.count(name)) continue;
            std::vector<std::string> found;
            std::string searched;
            if (name.find('/') != std::string::npos) {
                const std::string file = name[0] == '/' ? name : "/" + name;
                if (usable(file, identity)) found.push_back(file);
                searched = file;
            } else {
                const auto dirs = search_directories(objects, i);
                std::string key = name;
                for (const auto& d : dirs) key += '\0' + d;
                key += '\0' + std::to_string(static_cast<int>(identity.elf_class)) + ':' +
                       std::to_string(static_cast<int>(identity.data)) + ':' +
                       std::to_string(identity.machine);
                auto it = lookups_.find(key);
                if (it == lookups_.end()) {
                    std::vector<std::string> hits = find_in_directories(name, dirs, identity);
                    if (hits.empty()) hits = find_in_cache(name, identity);
                    if (hits.empty())
                        hits = find_in_directories(name, system_directories(identity), identity);
                    it = lookups_.emplace(std::move(key), std::move(hits)).first;
                }
                found = it->second;
                for (const auto& d : dirs) searched += d + ":";
                searched += "ld.so.cache";
                for (const auto& d : system_directories(identity)) searched += ":" + d;
            }
            if (found.empty())
                throw ClosureError(quote(objects[i].path) + " needs " + quote(name) +
                                   ", which is not found (searched " + searched + ")");
            loaded.insert(name);
            for (const auto& file : found) {
                if (loaded.count(file)) continue;
                loaded.insert(file);
                auto elf = tree_.elf(file);
                if (elf->soname()) loaded.insert(*elf->soname());
                result.libraries.push_back(file);
                result.needed_by.push_back(objects[i].path);
                objects.push_back(
                    Object{file, parent_path(file), std::move(elf), static_cast<long>(i)});
            }
        }
    }
    return result;
}

}  // namespace ocitools
