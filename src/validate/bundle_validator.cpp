#include "validate/bundle_validator.h"

#include <sys/stat.h>

#include <cerrno>
#include <cstring>
#include <regex>
#include <set>

#include <nlohmann/json.hpp>

#include "base/error.h"
#include "fs/file_bytes.h"
#include "fs/path.h"
#include "fs/real_disk.h"
#include "roots/program_lookup.h"
#include "spec/container_spec.h"
#include "validate/startup_check.h"

namespace ocitools {

using nlohmann::json;

bool is_semver(const std::string& version) {
    // The regular expression semver.org gives for SemVer 2.0.0.
    static const std::regex re(
        R"(^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*))"
        R"((?:-((?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\.(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?)"
        R"((?:\+([0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*))?$)");
    return std::regex_match(version, re);
}

namespace {

// The namespace types of config-linux.md.
const std::set<std::string> kNamespaceTypes = {"pid", "network", "mount",  "ipc",
                                               "uts", "user",    "cgroup", "time"};

class Checker {
  public:
    explicit Checker(std::filesystem::path bundle) : bundle_(std::move(bundle)) {}

    std::vector<std::string> run() {
        const auto path = bundle_ / "config.json";
        std::string text;
        try {
            // 16 MiB: a config is a few KiB; a FIFO or /dev/zero in its place is refused at once.
            text = read_regular_file(path, 16 << 20, "a config.json");
        } catch (const Error& e) {
            problem(e.what());
            return problems_;
        }
        json config;
        try {
            config = json::parse(text);
        } catch (const json::exception& e) {
            problem(path.string() + ": malformed JSON: " + e.what());
            return problems_;
        }
        if (!config.is_object()) {
            problem("config.json: the top level is not an object");
            return problems_;
        }
        check_version(config);
        check_root(config);
        check_process(config);
        check_mounts(config);
        check_linux(config);
        if (config.contains("platform"))
            problem("platform: removed from the runtime spec in 1.0.0-rc6; runtimes ignore it");
        if (config.contains("hostname")) {
            if (!config["hostname"].is_string())
                problem("hostname: must be a string");
            else if (!has_namespace_ && !config["hostname"].get<std::string>().empty())
                problem("hostname: set without a new uts namespace");
        }
        if (rootfs_ && args0_) check_runnable(config);
        if (rootfs_ && cwd_.starts_with("/")) {
            // runc's chdir needs a directory there; a missing one it makes.
            struct stat st {};
            if (rootfs_->stat(cwd_, st) == 0 && !S_ISDIR(st.st_mode))
                problem("process.cwd: " + cwd_ + " is not a directory in the rootfs");
        }
        return problems_;
    }

  private:
    void problem(std::string p) { problems_.push_back(std::move(p)); }

    const json* field(const json& obj, const char* key, const std::string& where, bool required,
                      json::value_t type, const char* type_name) {
        if (!obj.contains(key)) {
            if (required) problem(where + key + ": required");
            return nullptr;
        }
        const json& v = obj[key];
        const bool ok =
            type == json::value_t::number_unsigned ? v.is_number_unsigned() : v.type() == type;
        if (!ok) {
            problem(where + key + ": must be " + type_name);
            return nullptr;
        }
        return &v;
    }

    void check_version(const json& c) {
        if (auto v = field(c, "ociVersion", "", true, json::value_t::string, "a string")) {
            if (!is_semver(v->get<std::string>()))
                problem("ociVersion: " + v->dump() + " is not a SemVer 2.0.0 version");
        }
    }

    void check_root(const json& c) {
        const json* root = field(c, "root", "", true, json::value_t::object, "an object");
        if (!root) return;
        field(*root, "readonly", "root.", false, json::value_t::boolean, "a boolean");
        const json* p = field(*root, "path", "root.", true, json::value_t::string, "a string");
        if (!p) return;
        const std::string rel = p->get<std::string>();
        const auto dir = rel.starts_with("/") ? std::filesystem::path(rel) : bundle_ / rel;
        try {
            rootfs_.emplace(dir);
        } catch (const SystemError& e) {
            problem("root.path: " + dir.string() + ": " + std::strerror(e.code()));
        }
    }

    void check_process(const json& c) {
        const json* p = field(c, "process", "", false, json::value_t::object, "an object");
        if (!p) return;
        field(*p, "terminal", "process.", false, json::value_t::boolean, "a boolean");
        if (auto args = field(*p, "args", "process.", true, json::value_t::array, "a list")) {
            if (args->empty()) problem("process.args: must not be empty");
            for (size_t i = 0; i < args->size(); ++i) {
                if (!(*args)[i].is_string())
                    problem("process.args[" + std::to_string(i) + "]: must be a string");
                else if ((*args)[i].get<std::string>().find('\0') != std::string::npos)
                    problem("process.args[" + std::to_string(i) +
                            "]: holds a NUL byte, which no argument can carry");
            }
            if (!args->empty() && (*args)[0].is_string()) args0_ = (*args)[0].get<std::string>();
        }
        if (auto cwd = field(*p, "cwd", "process.", true, json::value_t::string, "a string")) {
            cwd_ = cwd->get<std::string>();
            if (!cwd_.starts_with("/")) problem("process.cwd: " + cwd->dump() + " is not absolute");
        }
        if (auto env = field(*p, "env", "process.", false, json::value_t::array, "a list")) {
            for (size_t i = 0; i < env->size(); ++i) {
                const json& e = (*env)[i];
                if (!e.is_string() || e.get<std::string>().find('=') == std::string::npos)
                    problem("process.env[" + std::to_string(i) +
                            "]: must be a \"KEY=value\" string");
                else if (e.get<std::string>().starts_with("PATH="))
                    path_ = e.get<std::string>().substr(5);
                else if (e.get<std::string>().starts_with("LD_LIBRARY_PATH="))
                    library_path_ = e.get<std::string>().substr(16);
            }
        }
        if (auto user = field(*p, "user", "process.", true, json::value_t::object, "an object")) {
            field(*user, "uid", "process.user.", true, json::value_t::number_unsigned,
                  "a non-negative integer");
            field(*user, "gid", "process.user.", true, json::value_t::number_unsigned,
                  "a non-negative integer");
        }
    }

    void check_mounts(const json& c) {
        const json* mounts = field(c, "mounts", "", false, json::value_t::array, "a list");
        if (!mounts) return;
        for (size_t i = 0; i < mounts->size(); ++i) {
            const json& m = (*mounts)[i];
            const std::string where = "mounts[" + std::to_string(i) + "].";
            if (!m.is_object()) {
                problem("mounts[" + std::to_string(i) + "]: must be an object");
                continue;
            }
            const json* d = field(m, "destination", where, true, json::value_t::string, "a string");
            if (d && !d->get<std::string>().starts_with("/"))
                problem(where + "destination: " + d->dump() + " is not absolute");
            else if (d && !(m.contains("type") && m["type"] == "proc"))  // the runtime's /proc
                if (auto why = mount_destination_problem(d->get<std::string>()))
                    problem(where + "destination: " + d->dump() + ": " + *why);
            field(m, "type", where, false, json::value_t::string, "a string");
            const json* source = field(m, "source", where, false, json::value_t::string, "a string");
            bool bind = m.contains("type") && m["type"] == "bind";
            if (auto o = field(m, "options", where, false, json::value_t::array, "a list"))
                for (const auto& opt : *o) {
                    if (!opt.is_string()) {
                        problem(where + "options: must hold strings");
                        continue;
                    }
                    const std::string option = opt.get<std::string>();
                    if (option.find('\0') != std::string::npos)
                        problem(where + "options: " + opt.dump() +
                                " holds a NUL byte, which mount(2) cannot carry");
                    if (option == "bind" || option == "rbind") bind = true;
                }
            if (bind && d && source && rootfs_ && d->get<std::string>().starts_with("/"))
                check_bind_types(where, source->get<std::string>(), d->get<std::string>());
        }
    }

    void check_linux(const json& c) {
        const json* linux_obj = field(c, "linux", "", false, json::value_t::object, "an object");
        if (!linux_obj) return;
        const json* nss =
            field(*linux_obj, "namespaces", "linux.", false, json::value_t::array, "a list");
        if (!nss) return;
        std::set<std::string> seen;
        for (size_t i = 0; i < nss->size(); ++i) {
            const std::string where = "linux.namespaces[" + std::to_string(i) + "].";
            const json& ns = (*nss)[i];
            if (!ns.is_object()) {
                problem("linux.namespaces[" + std::to_string(i) + "]: must be an object");
                continue;
            }
            const json* t = field(ns, "type", where, true, json::value_t::string, "a string");
            if (!t) continue;
            const std::string type = t->get<std::string>();
            if (!kNamespaceTypes.count(type))
                problem(where + "type: " + t->dump() + " is not a namespace type");
            else if (!seen.insert(type).second)
                problem(where + "type: " + t->dump() + " appears more than once");
            if (type == "uts") has_namespace_ = true;
            field(ns, "path", where, false, json::value_t::string, "a string");
        }
    }

    // A bind mount's destination, where the rootfs has it, must be of the source's kind: a
    // directory for a directory, a non-directory for a file (runc refuses others).
    void check_bind_types(const std::string& where, const std::string& source,
                          const std::string& destination) {
        struct stat host {}, inside {};
        if (::stat(source.c_str(), &host) != 0) return;  // another machine's path, maybe
        if (rootfs_->stat(destination, inside) != 0) return;  // runc makes it
        if (S_ISDIR(host.st_mode) != S_ISDIR(inside.st_mode))
            problem(where + "destination: " + destination + " is " +
                    (S_ISDIR(inside.st_mode) ? "a directory" : "not a directory") +
                    " in the rootfs, but the bind source " + source + " is " +
                    (S_ISDIR(host.st_mode) ? "one" : "not one"));
    }

    // Why the file at `path` in the rootfs cannot be executed, or empty. The rootfs is seen the
    // way the container will see it (RootfsDisk).
    std::string exec_problem(const std::string& path) {
        struct stat st {};
        if (const int error = rootfs_->stat(path, st); error != 0) return std::strerror(error);
        if (!S_ISREG(st.st_mode)) return "not a regular file";
        if ((st.st_mode & 0111) == 0) return "not executable";
        return {};
    }

    void check_runnable(const json&) {
        const std::string& program = *args0_;
        const std::string search = path_.value_or(kDefaultPath);
        std::string found;
        if (program.find('/') != std::string::npos) {
            found =
                program.starts_with("/") ? program : join_path(cwd_.empty() ? "/" : cwd_, program);
            if (auto why = exec_problem(found); !why.empty()) {
                problem("process.args[0]: " + program + " in the rootfs: " + why);
                return;
            }
        } else {
            // runc looks a bare name up on the container's PATH (exec.LookPath in the container).
            for (const auto& dir : search_path_dirs(search)) {
                if (exec_problem(dir + "/" + program).empty()) {
                    found = dir + "/" + program;
                    break;
                }
            }
            if (found.empty()) {
                problem("process.args[0]: " + program +
                        " is not an executable file on the container's PATH " + search);
                return;
            }
        }
        // Its interpreter chain and libraries, as ld.so and the kernel will look for them.
        try {
            check_startup(*rootfs_, found, search, library_path_);
        } catch (const Error& e) {
            problem("process.args[0]: " + program + " would not start: " + e.what());
        }
    }

    std::filesystem::path bundle_;
    std::vector<std::string> problems_;
    std::optional<RootfsDisk> rootfs_;
    std::optional<std::string> args0_;
    std::optional<std::string> path_;
    std::string library_path_;  // LD_LIBRARY_PATH of process.env, empty when unset
    std::string cwd_;
    bool has_namespace_ = false;
};

}  // namespace

std::vector<std::string> validate_bundle(const std::filesystem::path& bundle) {
    return Checker(bundle).run();
}

}  // namespace ocitools
