#include "closure/elf/loader_machine.h"

#include <elf.h>

#include <algorithm>

namespace ocitools {

// glibc-hwcaps subdirectories ld.so knows for a machine (elf/dl-hwcaps*.c, sysdeps/*/dl-hwcaps*),
// best first. A CPU supports a suffix of the list: the levels up to its own.
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

// The legacy hwcaps subdirectories glibc before 2.37 searches (elf/dl-hwcaps.c,
// _dl_important_hwcaps): every subset of the hwcap names, the platform and "tls", named in
// reverse order ("tls/x86_64/x86_64"), the largest first, ending with "" (the directory itself).
std::vector<std::string> legacy_subdirs(std::vector<std::string> parts) {
    parts.push_back("tls");
    const size_t n = parts.size();
    std::vector<std::string> out;
    for (size_t i = 0; i < (size_t{1} << n); ++i) {
        const size_t set = (size_t{1} << n) - 1 - i;
        std::string sub;
        for (size_t k = n; k-- > 0;)
            if (set & (size_t{1} << k)) sub += (sub.empty() ? "" : "/") + parts[k];
        out.push_back(sub);
    }
    return out;
}

// What a kind of CPU makes ld.so try in each directory, in order: its glibc-hwcaps
// subdirectories, then (glibc before 2.37) the legacy ones, then the directory itself. One
// list per kind of CPU ld.so tells apart, each distinct list once.
std::vector<std::vector<std::string>> cpu_kinds(const ElfIdentity& id, bool legacy) {
    std::vector<std::vector<std::string>> legacy_lists;
    if (!legacy) {
        legacy_lists.push_back({""});
    } else if (id.machine == EM_X86_64 && id.elf_class == ElfClass::Elf64) {
        // sysdeps/x86/cpu-features.c: hwcap "x86_64" always, "avx512_1" on Intel CPUs with
        // AVX512; the platform is AT_PLATFORM ("x86_64") unless an Intel CPU makes it
        // "haswell" or "xeon_phi".
        for (const auto& parts :
             std::vector<std::vector<std::string>>{{"x86_64", "x86_64"},
                                                   {"x86_64", "haswell"},
                                                   {"x86_64", "xeon_phi"},
                                                   {"x86_64", "avx512_1", "haswell"},
                                                   {"x86_64", "avx512_1", "x86_64"}})
            legacy_lists.push_back(legacy_subdirs(parts));
    } else {
        legacy_lists.push_back(legacy_subdirs({platform_of(id)}));
    }
    const auto levels = hwcaps_subdirs(id);
    std::vector<std::vector<std::string>> kinds;
    for (size_t level = 0; level <= levels.size(); ++level) {
        for (const auto& tail : legacy_lists) {
            std::vector<std::string> kind;
            for (size_t i = level; i < levels.size(); ++i)
                kind.push_back("glibc-hwcaps/" + levels[i]);
            kind.insert(kind.end(), tail.begin(), tail.end());
            if (std::find(kinds.begin(), kinds.end(), kind) == kinds.end())
                kinds.push_back(std::move(kind));
        }
    }
    return kinds;
}

// The glibc ld.so for a machine, for roots that name none (a library loaded as if dlopen'ed).
std::string standard_interpreter(const ElfIdentity& id) {
    switch (id.machine) {
        case EM_X86_64:
            return id.elf_class == ElfClass::Elf64 ? "/lib64/ld-linux-x86-64.so.2"
                                                   : "/libx32/ld-linux-x32.so.2";
        case EM_386:
            return "/lib/ld-linux.so.2";
        case EM_AARCH64:
            return "/lib/ld-linux-aarch64.so.1";
        default:
            return {};
    }
}

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

}  // namespace ocitools
