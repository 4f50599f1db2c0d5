#include "bundle/ld_cache_file.h"

#include <sys/stat.h>

#include "closure/elf/ldcache.h"
#include "closure/elf/ldcache_writer.h"

namespace ocitools {

std::optional<std::string> rootfs_ld_cache(const Plan& plan,
                                           const std::filesystem::path& host_cache) {
    constexpr const char* kPath = "/etc/ld.so.cache";
    if (plan.find(kPath) || plan.resolve(kPath)) return std::nullopt;
    struct stat st {};
    if (stat(host_cache.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) return std::nullopt;
    std::vector<LdCacheEntry> held;
    const LdCache host = LdCache::load(host_cache);
    for (const LdCacheEntry& entry : host.entries()) {
        const PlanEntry* file = plan.resolve(entry.path);
        if (file && file->kind == EntryKind::File) held.push_back(entry);
    }
    if (held.empty()) return std::nullopt;
    return serialize_ld_cache(std::move(held), "ocitools");
}

}  // namespace ocitools
