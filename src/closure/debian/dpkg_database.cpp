#include "closure/debian/dpkg_database.h"

#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <optional>


namespace ocitools {

namespace fs = std::filesystem;

namespace {

// dpkg's files are read whole; none comes near this (a status file of 5,000 packages is 10 MB),
// and a bigger one is not a dpkg database.
constexpr size_t kMaxDatabaseFile = size_t{1} << 30;

std::string native_of_build() {
#if defined(__x86_64__) && defined(__ILP32__)
    return "x32";
#elif defined(__x86_64__)
    return "amd64";
#elif defined(__i386__)
    return "i386";
#elif defined(__aarch64__)
    return "arm64";
#elif defined(__arm__) && defined(__ARM_PCS_VFP)
    return "armhf";
#elif defined(__arm__)
    return "armel";
#elif defined(__powerpc64__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    return "ppc64el";
#elif defined(__s390x__)
    return "s390x";
#elif defined(__riscv) && __riscv_xlen == 64
    return "riscv64";
#elif defined(__loongarch64)
    return "loong64";
#else
    return "unknown";
#endif
}

}  // namespace

DpkgDatabase::DpkgDatabase(fs::path admin_dir, std::string native_architecture, Reporter reporter,
                           const Disk& disk)
    : disk_(disk),
      admin_dir_(std::move(admin_dir)),
      info_dir_((admin_dir_ / "info").native() + "/"),
      native_(std::move(native_architecture)),
      reporter_(std::move(reporter)) {
    read_status();
    read_diversions();
    index();
    if (native_.empty()) {
        for (const DpkgPackage* dpkg : installed("dpkg"))
            if (dpkg->architecture != "all" && !dpkg->architecture.empty())
                native_ = dpkg->architecture;
        if (native_.empty()) native_ = native_of_build();
    }
}

std::optional<std::string> DpkgDatabase::read_file(const fs::path& path, bool missing_ok) const {
    return disk_.read_file(path.string(), kMaxDatabaseFile, missing_ok);
}

void DpkgDatabase::read_status() {
    const fs::path status = admin_dir_ / "status";
    const std::string text = *read_file(status, false);
    // One stanza a package: reserve for them all, so that none is moved while the rest are read.
    size_t stanzas = 1;
    for (size_t pos = text.find("\n\n"); pos != std::string::npos; pos = text.find("\n\n", pos + 2))
        ++stanzas;
    packages_.reserve(stanzas);
    const std::string_view status_name = sources_.emplace_back(status.native());
    for_each_paragraph(text, status, [&](const Deb822Paragraph& stanza) {
        packages_.push_back(DpkgPackage::parse(stanza, status_name));
    });

    // The journal: files named by a number, applied in numeric order (dpkg's modstatdb_init).
    const fs::path updates = admin_dir_ / "updates";
    std::vector<std::string> journal;
    struct stat st {};
    if (const int error = disk_.stat(updates, st); error != ENOENT) {
        for (const DirEntry& entry : disk_.list_directory(updates)) {
            const std::string& name = entry.name;
            if (!name.empty() &&
                std::all_of(name.begin(), name.end(), [](char c) { return c >= '0' && c <= '9'; }))
                journal.push_back(name);
        }
    }
    std::sort(journal.begin(), journal.end(), [](const std::string& a, const std::string& b) {
        return a.size() != b.size() ? a.size() < b.size() : a < b;
    });
    for (const std::string& name : journal) {
        const fs::path file = updates / name;
        const auto text = read_file(file, true);
        if (!text) continue;  // dpkg folded it into status meanwhile
        const std::string_view file_name = sources_.emplace_back(file.native());
        for_each_paragraph(*text, file, [&](const Deb822Paragraph& stanza) {
            DpkgPackage update = DpkgPackage::parse(stanza, file_name);
            auto same = std::find_if(packages_.begin(), packages_.end(), [&](const auto& p) {
                return p.name == update.name && p.architecture == update.architecture;
            });
            if (same != packages_.end())
                *same = std::move(update);
            else
                packages_.push_back(std::move(update));
        });
    }
}

void DpkgDatabase::read_diversions() {
    const fs::path file = admin_dir_ / "diversions";
    const auto text = read_file(file, true);
    if (!text) return;  // no diversion was ever made
    std::vector<std::pair<std::string, int>> lines;
    for_each_line(*text, [&](std::string_view line, int number) {
        if (line.empty() || line.front() != '/') {
            // The third line of a triplet is a package name or ":", the others absolute paths.
            if (lines.size() % 3 != 2 || line.empty())
                throw DpkgFormatError(where(file, number) + "expected an absolute path, got " +
                                      quote(line));
        }
        lines.emplace_back(std::string(line), number);
    });
    if (lines.size() % 3 != 0)
        throw DpkgFormatError(where(file, lines.back().second) +
                              "truncated entry: expected lines \"from\", \"to\", \"package\"");
    for (size_t i = 0; i < lines.size(); i += 3) {
        Diversion d{lines[i].first, lines[i + 1].first, std::nullopt};
        if (lines[i + 2].first != ":") d.package = lines[i + 2].first;
        diversions_.push_back(std::move(d));
    }
}

void DpkgDatabase::index() {
    for (size_t i = 0; i < packages_.size(); ++i) {
        const DpkgPackage& p = packages_[i];
        if (!p.installed()) continue;
        installed_by_name_[p.name].push_back(i);
        for (const auto& provided : p.provides) {
            auto& list = providers_by_name_[provided.name];
            if (list.empty() || list.back() != i) list.push_back(i);
        }
    }
}

std::vector<const DpkgPackage*> DpkgDatabase::installed(std::string_view name) const {
    std::vector<const DpkgPackage*> out;
    if (auto it = installed_by_name_.find(name); it != installed_by_name_.end())
        for (size_t i : it->second) out.push_back(&packages_[i]);
    return out;
}

std::vector<const DpkgPackage*> DpkgDatabase::providers(std::string_view virtual_name) const {
    std::vector<const DpkgPackage*> out;
    if (auto it = providers_by_name_.find(virtual_name); it != providers_by_name_.end())
        for (size_t i : it->second) out.push_back(&packages_[i]);
    return out;
}

const std::string& DpkgDatabase::effective_architecture(const DpkgPackage& package) const {
    if (package.architecture.empty() || package.architecture == "all") return native_;
    return package.architecture;
}

std::optional<FileBytes> DpkgDatabase::read_list(const DpkgPackage& package, std::string& file,
                                                 std::vector<std::byte>* scratch,
                                                 bool warn) const {
    const std::string qualified = info_dir_ + package.name + ":" + package.architecture + ".list";
    const std::string plain = info_dir_ + package.name + ".list";
    const bool same = package.multi_arch == MultiArch::Same && !package.architecture.empty();
    file = same ? qualified : plain;
    auto read = [&]() -> std::optional<FileBytes> {
        int error = 0;
        auto opened = disk_.open(file, error);
        if (!opened) {
            if (error == ENOENT) return std::nullopt;
            throw SystemError("cannot open", disk_.shown(file), error);
        }
        FileBytes bytes = opened->bytes(scratch);
        if (bytes.bytes().size() > kMaxDatabaseFile)
            throw SystemError("cannot read", disk_.shown(file), EFBIG);
        return bytes;
    };
    auto text = read();
    if (!text && !package.architecture.empty()) {
        file = same ? plain : qualified;
        text = read();
    }
    if (!text && warn)
        reporter_.warn("files list file for package " + package.binary_package() +
                       " missing; assuming package has no files currently installed");
    return text;
}

namespace {

// memmem(3), not string_view::find: find stops at every '/' of a list to compare.
bool holds_any(std::string_view text, const std::vector<std::string>& any_of) {
    return std::any_of(any_of.begin(), any_of.end(), [&](const std::string& s) {
        return ::memmem(text.data(), text.size(), s.data(), s.size()) != nullptr;
    });
}

}  // namespace

bool DpkgDatabase::may_list_any(const DpkgPackage& package, std::vector<std::byte>* scratch,
                                const std::vector<std::string>& any_of) const noexcept {
    if (file_lists_.count(&package)) return true;
    try {
        std::string file;
        const auto bytes = read_list(package, file, scratch, false);
        if (!bytes) return true;
        return holds_any({reinterpret_cast<const char*>(bytes->bytes().data()),
                          bytes->bytes().size()},
                         any_of);
    } catch (...) {
        return true;
    }
}

void DpkgDatabase::for_each_listed(const DpkgPackage& package,
                                   const std::function<void(std::string_view)>& visit,
                                   std::vector<std::byte>* scratch,
                                   const std::vector<std::string>& any_of) const {
    if (auto it = file_lists_.find(&package); it != file_lists_.end()) {
        for (const auto& path : it->second) visit(path);
        return;
    }
    std::string file;
    const auto bytes = read_list(package, file, scratch);
    if (!bytes) {
        file_lists_.emplace(&package, std::vector<std::string>{});  // warned once
        return;
    }
    const std::string_view text(reinterpret_cast<const char*>(bytes->bytes().data()),
                                bytes->bytes().size());
    if (!any_of.empty() && !holds_any(text, any_of)) return;
    for_each_line(text, [&](std::string_view line, int number) {
        if (line.empty() || line.front() != '/')
            throw DpkgFormatError(where(file, number) + "expected an absolute path, got " +
                                  quote(line));
        visit(line);
    });
}

const std::vector<std::string>& DpkgDatabase::file_list(const DpkgPackage& package) const {
    if (auto it = file_lists_.find(&package); it != file_lists_.end()) return it->second;
    std::vector<std::string> paths;
    for_each_listed(package, [&](std::string_view path) { paths.emplace_back(path); }, nullptr);
    return file_lists_.emplace(&package, std::move(paths)).first->second;
}

}  // namespace ocitools
