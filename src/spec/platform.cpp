#include "spec/platform.h"

#include <sys/utsname.h>

#include <algorithm>
#include <array>
#include <string_view>

#include "base/error.h"

namespace ocitools {

namespace {

// `go tool dist list`, Go 1.19 to 1.22.
constexpr std::array<std::string_view, 17> kGoos = {
    "aix",   "android", "darwin", "dragonfly", "freebsd", "hurd",    "illumos", "ios",    "js",
    "linux", "nacl",    "netbsd", "openbsd",   "plan9",   "solaris", "wasip1",  "windows"};
constexpr std::array<std::string_view, 20> kGoarch = {
    "386",     "amd64", "amd64p32", "arm",      "arm64",  "arm64be", "armbe",
    "loong64", "mips",  "mips64",   "mips64le", "mipsle", "ppc64",   "ppc64le",
    "riscv64", "s390x", "sparc64",  "wasm",     "ppc",    "riscv"};

template <size_t N>
bool contains(const std::array<std::string_view, N>& names, const std::string& name) {
    return std::find(names.begin(), names.end(), name) != names.end();
}

}  // namespace

std::string host_goos() {
    return "linux";
}

std::string host_goarch() {
    struct utsname u {};
    if (uname(&u) != 0) return "unknown";
    const std::string machine = u.machine;
    // uname(2) machine names to GOARCH.
    if (machine == "x86_64") return "amd64";
    if (machine == "i386" || machine == "i486" || machine == "i586" || machine == "i686")
        return "386";
    if (machine == "aarch64") return "arm64";
    if (machine.rfind("arm", 0) == 0) return "arm";
    if (machine == "ppc64le" || machine == "ppc64" || machine == "s390x" || machine == "riscv64" ||
        machine == "mips64" || machine == "loong64")
        return machine;
    if (machine == "loongarch64") return "loong64";
    return machine;
}

std::optional<std::string> normalize_goarch(const std::string& arch) {
    if (arch == "x86_64") return "amd64";
    if (contains(kGoarch, arch)) return arch;
    return std::nullopt;
}

bool is_known_goos(const std::string& os) {
    return contains(kGoos, os);
}

void check_platform(const std::optional<std::string>& os, const std::optional<std::string>& arch) {
    if (os) {
        if (!is_known_goos(*os))
            throw SpecError("key \"os\": " + quote(*os) +
                            " is not a Go GOOS name (e.g. \"linux\")");
        if (*os != host_goos())
            throw SpecError("key \"os\": " + quote(*os) + " is not this host's (" + host_goos() +
                            "); ocitools copies host binaries, so it builds for the host only");
    }
    if (arch) {
        const auto normalized = normalize_goarch(*arch);
        if (!normalized)
            throw SpecError("key \"arch\": " + quote(*arch) +
                            " is not a Go GOARCH name (e.g. \"amd64\"; \"x86_64\" is accepted)");
        if (*normalized != host_goarch())
            throw SpecError("key \"arch\": " + quote(*arch) + " is not this host's (" +
                            host_goarch() +
                            "); ocitools copies host binaries, so it builds for the host only");
    }
}

}  // namespace ocitools
