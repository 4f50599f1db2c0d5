// A dpkg database written by the test, for the tests of the dpkg closure and of the groups
// its packages make: <dir>/var/lib/dpkg, describing the tree <dir>.
#pragma once

#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "base/reporter.h"
#include "closure/debian/dpkg_database.h"
#include "test_support.h"

namespace ocitools::testing {

class FakeDpkg {
  public:
    using Strings = std::vector<std::string>;

    FakeDpkg() { std::filesystem::create_directories(admin() / "info"); }

    std::filesystem::path root() const { return dir_.path(); }
    std::filesystem::path admin() const { return dir_ / "var/lib/dpkg"; }

    // Add a status stanza; `fields` are extra "Field: value" lines. The file list, when given,
    // is written as dpkg names it (info/name:arch.list for Multi-Arch: same).
    FakeDpkg& package(const std::string& name, const std::string& fields = {},
                      const std::optional<Strings>& files = Strings{"/."},
                      const std::string& arch = "amd64",
                      const std::string& status = "install ok installed") {
        status_ += "Package: " + name + "\nStatus: " + status + "\nArchitecture: " + arch +
                   "\nVersion: 1.0\n" + fields +
                   (fields.empty() || fields.back() == '\n' ? "" : "\n") + "\n";
        if (files) {
            const bool same = fields.find("Multi-Arch: same") != std::string::npos;
            std::string text;
            for (const auto& f : *files) text += f + "\n";
            write_text(admin() / "info" / (name + (same ? ":" + arch : "") + ".list"), text);
        }
        return *this;
    }

    // An installed package listing `files` as dpkg lists them ("/.", then each file after the
    // directories on its way), each written in the tree, holding the package's name, unless a
    // package before wrote it.
    FakeDpkg& installed(const std::string& name, const std::string& fields, const Strings& files,
                        const std::string& arch = "amd64") {
        Strings list{"/."};
        for (const auto& f : files) {
            for (size_t slash = f.find('/', 1); slash != std::string::npos;
                 slash = f.find('/', slash + 1))
                list.push_back(f.substr(0, slash));
            list.push_back(f);
            if (!std::filesystem::exists(root() / std::filesystem::path(f).relative_path()))
                file(f, name);
        }
        return package(name, fields, list, arch);
    }

    // Write a file, or make a symlink, in the tree.
    void file(const std::string& path, const std::string& text = "x") {
        write_text(root() / std::filesystem::path(path).relative_path(), text);
    }
    void symlink(const std::string& target, const std::string& path) {
        const std::filesystem::path at = root() / std::filesystem::path(path).relative_path();
        std::filesystem::create_directories(at.parent_path());
        std::filesystem::create_symlink(target, at);
    }

    void diversions(const std::string& text) { write_text(admin() / "diversions", text); }

    std::unique_ptr<DpkgDatabase> open(Strings* warnings = nullptr) {
        write_text(admin() / "status", status_);
        Reporter reporter(
            [warnings](const std::string& m) {
                if (warnings) warnings->push_back(m);
            },
            {});
        return std::make_unique<DpkgDatabase>(admin(), "amd64", reporter);
    }

  private:
    ScratchDir dir_;
    std::string status_;
};

}  // namespace ocitools::testing
