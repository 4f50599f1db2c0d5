#include "closure/elf/library_search.h"

#include <elf.h>

#include <algorithm>
#include <cerrno>
#include <optional>
#include <set>

#include "closure/elf/loader_machine.h"
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

}  // namespace

LibrarySearch::LibrarySearch(const FileTree& tree, std::string library_path)
    : tree_(tree), library_path_(std::move(library_path)) {
    const Disk& disk = tree_.disk();
    if (const std::string path = "/etc/ld.so.cache"; disk.is_regular_file(path)) {
        const FileBytes bytes = disk.open_file(path)->bytes(nullptr);
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

bool LibrarySearch::is_directory(const std::string& path) {
    auto [it, fresh] = directories_.try_emplace(path, false);
    if (fresh) {
        const auto st = tree_.stat(path);
        it->second = st && S_ISDIR(st->st_mode);
    }
    return it->second;
}

bool LibrarySearch::searches_legacy_hwcaps(const std::string& interpreter) {
    auto [it, fresh] = legacy_by_interpreter_.try_emplace(interpreter, true);
    if (!fresh || interpreter.empty() || !tree_.is_regular_file(interpreter)) return it->second;
    // elf/dl-usage.c prints "ld.so <pkgversion> <stable|development> release version 2.NN."
    const FileBytes bytes = tree_.disk().open_file(interpreter)->bytes(nullptr);
    const std::string_view text(reinterpret_cast<const char*>(bytes.bytes().data()),
                                bytes.bytes().size());
    const std::string_view marker = " release version 2.";
    for (size_t at = text.find(marker); at != std::string_view::npos;
         at = text.find(marker, at + 1)) {
        size_t end = at + marker.size();
        int minor = 0;
        while (end < text.size() && isdigit(static_cast<unsigned char>(text[end])) && minor < 1000)
            minor = minor * 10 + (text[end++] - '0');
        if (end == at + marker.size()) continue;
        it->second = minor < 37;
        break;
    }
    return it->second;
}

// One object's search for one name, for every kind of CPU: the union of what each finds.
std::vector<std::string> LibrarySearch::find(const std::string& name,
                                             const std::vector<std::string>& dirs,
                                             const ElfIdentity& identity, bool nodeflib,
                                             bool legacy) {
    std::unordered_map<std::string, bool> candidates;  // usable(), asked once each
    auto in_directories = [&](const std::vector<std::string>& list,
                              const std::vector<std::string>& kind) -> std::string {
        for (const auto& dir : list) {
            for (const auto& sub : kind) {
                // ld.so remembers which subdirectories exist; so do we.
                if (!sub.empty() && !is_directory(join(dir, sub))) continue;
                const std::string candidate = join(sub.empty() ? dir : join(dir, sub), name);
                auto [it, fresh] = candidates.try_emplace(candidate, false);
                if (fresh) it->second = usable(candidate, identity);
                if (it->second) return candidate;
            }
        }
        return {};
    };

    // The cache's entries for the name that ld.so may take (dl-cache.c): with DF_1_NODEFLIB,
    // none in a system directory (dl-load.c compares the path's prefix).
    const auto system = system_directories(identity);
    std::optional<std::vector<const LdCacheEntry*>> entries;  // read when first needed
    auto cache_entries = [&]() -> const std::vector<const LdCacheEntry*>& {
        if (entries) return *entries;
        entries.emplace();
        if (!cache_) return *entries;
        for (const LdCacheEntry* entry : cache_->find(name)) {
            if (!compatible(*entry, identity)) continue;
            if (nodeflib && std::any_of(system.begin(), system.end(), [&](const std::string& d) {
                    return entry->path.starts_with(join(d, ""));
                }))
                continue;
            if (usable(entry->path, identity)) entries->push_back(entry);
        }
        return *entries;
    };
    auto in_cache = [&](const std::vector<std::string>& kind) -> std::string {
        // The best glibc-hwcaps entry this kind of CPU supports, else the first base entry.
        for (const auto& sub : kind) {
            if (!sub.starts_with("glibc-hwcaps/")) continue;
            for (const LdCacheEntry* entry : cache_entries())
                if (entry->hwcaps_subdir && "glibc-hwcaps/" + *entry->hwcaps_subdir == sub)
                    return entry->path;
        }
        for (const LdCacheEntry* entry : cache_entries())
            if (!entry->hwcaps_subdir) return entry->path;
        return {};
    };

    std::vector<std::string> found;
    for (const auto& kind : cpu_kinds(identity, legacy)) {
        std::string hit = in_directories(dirs, kind);
        if (hit.empty()) hit = in_cache(kind);
        if (hit.empty() && !nodeflib) hit = in_directories(system, kind);
        if (!hit.empty() && std::find(found.begin(), found.end(), hit) == found.end())
            found.push_back(std::move(hit));
    }
    return found;
}

std::vector<std::string> LibrarySearch::search_directories(
    const std::vector<Object>& objects, size_t index,
    const std::vector<std::string>& library_path) {
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
    }
    dirs.insert(dirs.end(), library_path.begin(), library_path.end());
    if (object.elf->runpath()) add_list(*object.elf->runpath(), object);
    return dirs;
}

LoadSet LibrarySearch::load(const std::string& path) {
    LoadSet result = load_once(path, true);
    if (library_path_.empty()) return result;
    // Secure-execution mode (ld.so(8)): a set-user-ID or set-group-ID program run by another
    // user loads without LD_LIBRARY_PATH. Whether it will be is the container's business:
    // keep both.
    const auto st = tree_.stat(path);
    if (!st || !(st->st_mode & (S_ISUID | S_ISGID))) return result;
    const LoadSet secure = load_once(path, false);
    for (size_t i = 0; i < secure.libraries.size(); ++i) {
        if (std::find(result.libraries.begin(), result.libraries.end(), secure.libraries[i]) !=
            result.libraries.end())
            continue;
        result.libraries.push_back(secure.libraries[i]);
        result.needed_by.push_back(secure.needed_by[i]);
    }
    return result;
}

LoadSet LibrarySearch::load_once(const std::string& path, bool with_library_path) {
    LoadSet result;
    auto root_elf = tree_.elf(path);
    if (!root_elf) throw ClosureError(quote(path) + ": not an ELF object");
    std::vector<Object> objects;
    objects.push_back(Object{path, parent_path(path), root_elf, -1});
    // What satisfies a name without a search (dl-load.c, _dl_map_object): the names objects
    // were loaded under, their paths and their sonames.
    std::set<std::string> names{path};
    std::set<std::string> files{path};  // the objects loaded, by path
    if (root_elf->soname()) names.insert(*root_elf->soname());

    if (root_elf->interpreter()) {
        result.interpreter = *root_elf->interpreter();
        if (!tree_.is_regular_file(result.interpreter))
            throw ClosureError(quote(path) + ": its ELF interpreter " + quote(result.interpreter) +
                               " does not exist");
        // ld.so is already loaded as the interpreter; libc's DT_NEEDED on it is satisfied.
        names.insert(result.interpreter);
        files.insert(result.interpreter);
        if (auto interp = tree_.elf(result.interpreter); interp && interp->soname())
            names.insert(*interp->soname());
    }
    const bool legacy = searches_legacy_hwcaps(root_elf->interpreter()
                                                   ? *root_elf->interpreter()
                                                   : standard_interpreter(root_elf->identity()));

    // LD_LIBRARY_PATH: its $ORIGIN is the program's (dl-load.c, _dl_init_paths).
    std::vector<std::string> library_path;
    if (with_library_path) {
        size_t from = 0;
        while (from <= library_path_.size()) {
            const size_t to =
                std::min(library_path_.find_first_of(":;", from), library_path_.size());
            const std::string dir = expand(library_path_.substr(from, to - from), objects[0]);
            if (!dir.empty() && dir[0] == '/') library_path.push_back(dir);
            from = to + 1;
        }
    }

    // Breadth first; a filter's filtees are handled right after it (dl-deps.c).
    std::vector<size_t> order{0};
    for (size_t at = 0; at < order.size(); ++at) {
        const size_t i = order[at];
        size_t filtees = 0;
        auto add = [&](const std::string& raw, bool required, bool filtee) {
            const std::string name = expand(raw, objects[i]);
            if (names.count(name)) return;
            const ElfIdentity identity = objects[i].elf->identity();
            const bool nodeflib = objects[i].elf->nodeflib();
            std::vector<std::string> found;
            std::string searched;
            if (name.find('/') != std::string::npos) {
                const std::string file = name[0] == '/' ? name : "/" + name;
                if (usable(file, identity)) found.push_back(file);
                searched = file;
            } else {
                const auto dirs = search_directories(objects, i, library_path);
                std::string key = name;
                for (const auto& d : dirs) key += '\0' + d;
                key += '\0' + std::to_string(static_cast<int>(identity.elf_class)) + ':' +
                       std::to_string(static_cast<int>(identity.data)) + ':' +
                       std::to_string(identity.machine) + ':' + (nodeflib ? "n" : "d") +
                       (legacy ? "l" : "");
                auto it = lookups_.find(key);
                if (it == lookups_.end())
                    it = lookups_
                             .emplace(std::move(key), find(name, dirs, identity, nodeflib, legacy))
                             .first;
                found = it->second;
                for (const auto& d : dirs) searched += d + ":";
                searched += "ld.so.cache";
                if (!nodeflib)
                    for (const auto& d : system_directories(identity)) searched += ":" + d;
            }
            if (found.empty()) {
                if (!required) return;  // an auxiliary filtee ld.so does not find is skipped
                throw ClosureError(quote(objects[i].path) + " needs " + quote(name) +
                                   ", which is not found (searched " + searched + ")");
            }
            names.insert(name);
            for (const auto& file : found) {
                if (!files.insert(file).second) continue;
                names.insert(file);
                auto elf = tree_.elf(file);
                if (elf->soname()) names.insert(*elf->soname());
                result.libraries.push_back(file);
                result.needed_by.push_back(objects[i].path);
                objects.push_back(
                    Object{file, parent_path(file), std::move(elf), static_cast<long>(i)});
                if (filtee)
                    order.insert(order.begin() + static_cast<long>(at + 1 + filtees++),
                                 objects.size() - 1);
                else
                    order.push_back(objects.size() - 1);
            }
        };
        const auto elf = objects[i].elf;
        for (const std::string& name : elf->needed()) add(name, true, false);
        for (const std::string& name : elf->filters()) add(name, true, true);
        for (const std::string& name : elf->auxiliaries()) add(name, false, true);
    }
    return result;
}

}  // namespace ocitools
