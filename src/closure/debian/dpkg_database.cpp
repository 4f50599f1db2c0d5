#include "closure/debian/dpkg_database.h"

#include <sys/stat.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <optional>


namespace ocitools {

namespace fs = std::filesystem;

namespace {

// dpkg's files are read whole; none comes near this (a status file of 5,000 packages is 10 MB),
// and a bigger one is not a dpkg database.
constexpr size_t kMaxDatabaseFile = size_t{1} << 30;

// Calls `line(text, number)` for each line, without its newline; a final newline does not start
// another line.
template <typename F>
void for_each_line(std::string_view text, F&& line) {
    int number = 0;
    size_t pos = 0;
    while (pos < text.size()) {
        size_t end = text.find('\n', pos);
        if (end == std::string_view::npos) end = text.size();
        line(text.substr(pos, end - pos), ++number);
        pos = end + 1;
    }
}

bool is_blank(char c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

std::string_view trim(std::string_view s) {
    while (!s.empty() && is_blank(s.front())) s.remove_prefix(1);
    while (!s.empty() && is_blank(s.back())) s.remove_suffix(1);
    return s;
}

std::string lower(std::string_view s) {
    std::string out(s);
    for (char& c : out)
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    return out;
}

std::string where(const fs::path& file, int line) {
    return quote(file.native()) + ":" + std::to_string(line) + ": ";
}

// ---------------------------------------------------------------------------------------------
// deb822 stanzas (deb-control(5), deb822(5)): "Field: value" lines, continuation lines starting
// with a space or tab, stanzas separated by blank lines, '#' comment lines skipped (as dpkg's
// parser does).

struct Field {
    std::string name;        // lower-cased: field names are case-insensitive
    std::string_view first;  // the first line's value, trimmed
    std::string_view more;   // the continuation lines, raw (empty for most fields)
    int line = 0;

    // The value: the first line, then each continuation line trimmed, after '\n'. Built only
    // for the fields that are used (Description, the longest, never is). `more` spans the
    // comment lines met inside the field too: they are skipped here, as dpkg skips them.
    std::string value() const {
        std::string out(first);
        for_each_line(more, [&](std::string_view l, int) {
            if (!l.empty() && l.front() == '#') return;
            out += '\n';
            out += trim(l);
        });
        return out;
    }
};

struct Stanza {
    int line = 0;
    std::vector<Field> fields;

    const Field* find(std::string_view name) const {
        for (const auto& f : fields)
            if (f.name == name) return &f;
        return nullptr;
    }
};

// Calls `each(stanza)` for every stanza of `text`, which must outlive the calls. Nothing is
// copied but the field names: a status file of a thousand packages is mostly descriptions.
template <typename F>
void parse_stanzas(std::string_view text, const fs::path& file, F&& each) {
    Stanza stanza;
    bool open = false;
    auto close = [&] {
        if (open) each(stanza);
        open = false;
    };
    for_each_line(text, [&](std::string_view line, int number) {
        if (trim(line).empty()) {
            close();
            return;
        }
        if (line.front() == '#') return;
        if (line.front() == ' ' || line.front() == '\t') {
            if (!open)
                throw DpkgFormatError(where(file, number) +
                                      "continuation line outside a field: " + quote(line));
            Field& field = stanza.fields.back();
            // `line` lies in `text` right after the field's previous line: extend the span.
            const char* begin = field.more.empty() ? line.data() : field.more.data();
            field.more = std::string_view(begin, static_cast<size_t>(line.data() + line.size() - begin));
            return;
        }
        const size_t colon = line.find(':');
        const std::string_view name = line.substr(0, colon);
        if (colon == std::string_view::npos || name.empty() ||
            std::any_of(name.begin(), name.end(), is_blank))
            throw DpkgFormatError(where(file, number) + "expected \"Field: value\", got " +
                                  quote(line));
        if (!open) {
            stanza.line = number;
            stanza.fields.clear();
            open = true;
        }
        Field field{lower(name), trim(line.substr(colon + 1)), {}, number};
        if (stanza.find(field.name))
            throw DpkgFormatError(where(file, number) + "duplicate field " + std::string(name));
        stanza.fields.push_back(std::move(field));
    });
    close();
}

// ---------------------------------------------------------------------------------------------
// Relationship fields.

bool is_name_char(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '+' ||
           c == '-' || c == '.' || c == '_';
}

bool is_arch_char(char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
}

class RelationshipParser {
  public:
    explicit RelationshipParser(std::string_view text) : text_(text) {}

    std::vector<Dependency> parse() {
        std::vector<Dependency> out;
        skip_blanks();
        while (!at_end()) {
            Dependency dependency;
            for (;;) {
                dependency.alternatives.push_back(alternative());
                skip_blanks();
                if (!consume('|')) break;
            }
            out.push_back(std::move(dependency));
            skip_blanks();
            if (at_end()) break;
            if (!consume(',')) fail("expected ',' or '|'");
            skip_blanks();
        }
        return out;
    }

  private:
    DependencyAlternative alternative() {
        skip_blanks();
        DependencyAlternative alt;
        alt.name = take_while(is_name_char);
        if (alt.name.empty() || !std::isalnum(static_cast<unsigned char>(alt.name[0])))
            fail("expected a package name");
        if (consume(':')) {
            alt.arch_qualifier = take_while(is_arch_char);
            if (alt.arch_qualifier.empty()) fail("expected an architecture after ':'");
        }
        skip_blanks();
        if (consume('(')) {
            skip_blanks();
            static constexpr std::string_view kRelations[] = {"<<", "<=", ">=", ">>",
                                                              "=",  "<",  ">"};
            for (std::string_view r : kRelations) {
                if (text_.substr(pos_, r.size()) == r) {
                    alt.relation = r == "<" ? "<=" : r == ">" ? ">=" : std::string(r);
                    pos_ += r.size();
                    break;
                }
            }
            if (alt.relation.empty()) fail("expected a version relation");
            skip_blanks();
            alt.version = take_while([](char c) { return !is_blank(c) && c != ')'; });
            if (alt.version.empty()) fail("expected a version");
            skip_blanks();
            if (!consume(')')) fail("expected ')'");
            skip_blanks();
        }
        if (consume('[')) {
            alt.architectures = words(']');
            if (alt.architectures.empty()) fail("empty architecture list");
            skip_blanks();
        }
        while (consume('<')) {
            alt.profiles.push_back(words('>'));
            if (alt.profiles.back().empty()) fail("empty build profile list");
            skip_blanks();
        }
        return alt;
    }

    // Blank-separated words up to and including `close`.
    std::vector<std::string> words(char close) {
        std::vector<std::string> out;
        for (;;) {
            skip_blanks();
            if (at_end()) fail(std::string("expected '") + close + "'");
            if (consume(close)) return out;
            const bool negated = consume('!');
            std::string word = take_while(is_name_char);
            if (word.empty()) fail("unexpected character");
            out.push_back(negated ? "!" + word : word);
        }
    }

    template <typename Pred>
    std::string take_while(Pred pred) {
        const size_t start = pos_;
        while (!at_end() && pred(text_[pos_])) ++pos_;
        return std::string(text_.substr(start, pos_ - start));
    }
    bool consume(char c) {
        if (at_end() || text_[pos_] != c) return false;
        ++pos_;
        return true;
    }
    void skip_blanks() {
        while (!at_end() && is_blank(text_[pos_])) ++pos_;
    }
    bool at_end() const { return pos_ >= text_.size(); }
    [[noreturn]] void fail(const std::string& what) const {
        const std::string at = at_end() ? "end of field" : "offset " + std::to_string(pos_);
        throw DpkgFormatError(what + " at " + at + " in " + quote(text_));
    }

    std::string_view text_;
    size_t pos_ = 0;
};

// Architecture name to (os, cpu), for the wildcards of restriction lists. Debian's Linux
// architectures are bare names; the others are "os-cpu" (kfreebsd-amd64, hurd-i386).
std::pair<std::string, std::string> os_and_cpu(std::string_view arch) {
    const size_t dash = arch.rfind('-');
    if (dash != std::string_view::npos)
        return {std::string(arch.substr(0, dash)), std::string(arch.substr(dash + 1))};
    std::string cpu(arch);
    if (cpu == "armel" || cpu == "armhf") cpu = "arm";
    if (cpu == "x32") cpu = "amd64";
    return {"linux", cpu};
}

bool arch_matches(std::string_view arch, std::string_view pattern) {
    if (pattern == arch || pattern == "any") return true;
    const auto [os, cpu] = os_and_cpu(arch);
    const size_t dash = pattern.rfind('-');
    if (dash == std::string_view::npos) return false;
    const std::string_view p_os = pattern.substr(0, dash), p_cpu = pattern.substr(dash + 1);
    return (p_os == "any" || p_os == os) && (p_cpu == "any" || p_cpu == cpu);
}

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

// ---------------------------------------------------------------------------------------------
// Stanza to package.

PackageState parse_state(std::string_view word) {
    static const std::pair<std::string_view, PackageState> kStates[] = {
        {"not-installed", PackageState::NotInstalled},
        {"config-files", PackageState::ConfigFiles},
        {"half-installed", PackageState::HalfInstalled},
        {"unpacked", PackageState::Unpacked},
        {"half-configured", PackageState::HalfConfigured},
        {"triggers-awaited", PackageState::TriggersAwaited},
        {"triggers-pending", PackageState::TriggersPending},
        {"installed", PackageState::Installed},
    };
    for (const auto& [name, state] : kStates)
        if (name == word) return state;
    throw DpkgFormatError("unknown package state " + quote(word));
}

std::vector<std::string> split_words(std::string_view s) {
    std::vector<std::string> out;
    size_t pos = 0;
    while (pos < s.size()) {
        while (pos < s.size() && is_blank(s[pos])) ++pos;
        const size_t start = pos;
        while (pos < s.size() && !is_blank(s[pos])) ++pos;
        if (pos > start) out.emplace_back(s.substr(start, pos - start));
    }
    return out;
}

void parse_status(std::string_view value, DpkgPackage& package) {
    const auto words = split_words(value);
    if (words.size() != 3)
        throw DpkgFormatError("expected \"want flag state\", got " + quote(value));
    static constexpr std::string_view kWants[] = {"unknown", "install", "hold", "deinstall",
                                                  "purge"};
    if (std::find(std::begin(kWants), std::end(kWants), words[0]) == std::end(kWants))
        throw DpkgFormatError("unknown selection state " + quote(words[0]));
    if (words[1] != "ok" && words[1] != "reinstreq")
        throw DpkgFormatError("unknown error flag " + quote(words[1]));
    package.want = words[0];
    package.eflag = words[1];
    package.state = parse_state(words[2]);
}

MultiArch parse_multi_arch(std::string_view value) {
    if (value == "no") return MultiArch::No;
    if (value == "same") return MultiArch::Same;
    if (value == "foreign") return MultiArch::Foreign;
    if (value == "allowed") return MultiArch::Allowed;
    throw DpkgFormatError("unknown Multi-Arch value " + quote(value));
}

// Conffiles lines: "<path> <hash>[ obsolete][ remove-on-upgrade]". The path may hold spaces, so
// it is what remains after taking the flags and the hash off the end (as dpkg parses it).
std::vector<Conffile> parse_conffiles(std::string_view value) {
    std::vector<Conffile> out;
    for_each_line(value, [&](std::string_view raw, int) {
        std::string_view line = trim(raw);
        if (line.empty()) return;
        Conffile conffile;
        for (;;) {
            const size_t space = line.find_last_of(" \t");
            if (space == std::string_view::npos)
                throw DpkgFormatError("expected \"path hash\", got " + quote(trim(raw)));
            const std::string_view word = line.substr(space + 1);
            line = trim(line.substr(0, space));
            if (word == "obsolete" && !conffile.obsolete) {
                conffile.obsolete = true;
            } else if (word == "remove-on-upgrade" && !conffile.remove_on_upgrade) {
                conffile.remove_on_upgrade = true;
            } else {
                conffile.hash = word;
                break;
            }
        }
        if (line.empty() || line.front() != '/')
            throw DpkgFormatError("expected an absolute path in " + quote(trim(raw)));
        conffile.path = line;
        out.push_back(std::move(conffile));
    });
    return out;
}

DpkgPackage to_package(const Stanza& stanza, const fs::path& file) {
    DpkgPackage package;
    package.source = file;
    package.line = stanza.line;
    const Field* name = stanza.find("package");
    if (!name || name->value().empty())
        throw DpkgFormatError(where(file, stanza.line) + "stanza without a Package field");
    package.name = name->value();
    const Field* status = stanza.find("status");
    if (!status)
        throw DpkgFormatError(where(file, stanza.line) + "package " + package.name +
                              " has no Status field");
    for (const Field& field : stanza.fields) {
        try {
            if (field.name == "status") {
                parse_status(field.value(), package);
            } else if (field.name == "architecture") {
                package.architecture = field.value();
            } else if (field.name == "multi-arch") {
                package.multi_arch = parse_multi_arch(field.value());
            } else if (field.name == "version") {
                package.version = field.value();
            } else if (field.name == "pre-depends") {
                package.pre_depends = parse_relationships(field.value());
            } else if (field.name == "depends") {
                package.depends = parse_relationships(field.value());
            } else if (field.name == "provides") {
                for (auto& dependency : parse_relationships(field.value())) {
                    if (dependency.alternatives.size() != 1)
                        throw DpkgFormatError("alternatives are not allowed in Provides: " +
                                              quote(dependency.to_string()));
                    package.provides.push_back(std::move(dependency.alternatives.front()));
                }
            } else if (field.name == "conffiles") {
                package.conffiles = parse_conffiles(field.value());
            }
        } catch (const DpkgFormatError& e) {
            throw DpkgFormatError(where(file, field.line) + "package " + package.name + ", field " +
                                  field.name + ": " + e.what());
        }
    }
    return package;
}

}  // namespace

// ---------------------------------------------------------------------------------------------

std::vector<Dependency> parse_relationships(std::string_view value) {
    return RelationshipParser(value).parse();
}

bool DependencyAlternative::applies_to(std::string_view arch) const {
    if (!architectures.empty()) {
        bool has_positive = false, positive_match = false;
        for (const auto& a : architectures) {
            if (a.front() == '!') {
                if (arch_matches(arch, std::string_view(a).substr(1))) return false;
            } else {
                has_positive = true;
                positive_match = positive_match || arch_matches(arch, a);
            }
        }
        if (has_positive && !positive_match) return false;
    }
    if (profiles.empty()) return true;
    // No build profile is active: "name" terms are false, "!name" terms true.
    return std::any_of(profiles.begin(), profiles.end(), [](const auto& conjunction) {
        return std::all_of(conjunction.begin(), conjunction.end(),
                           [](const std::string& term) { return term.front() == '!'; });
    });
}

std::string DependencyAlternative::target() const {
    return arch_qualifier.empty() ? name : name + ":" + arch_qualifier;
}

std::string DependencyAlternative::to_string() const {
    std::string out = target();
    if (!relation.empty()) out += " (" + relation + " " + version + ")";
    auto join = [](const std::vector<std::string>& words) {
        std::string s;
        for (const auto& w : words) s += (s.empty() ? "" : " ") + w;
        return s;
    };
    if (!architectures.empty()) out += " [" + join(architectures) + "]";
    for (const auto& list : profiles) out += " <" + join(list) + ">";
    return out;
}

std::string Dependency::to_string() const {
    std::string out;
    for (const auto& alt : alternatives) out += (out.empty() ? "" : " | ") + alt.to_string();
    return out;
}

bool DpkgPackage::installed() const {
    return state == PackageState::Installed || state == PackageState::TriggersPending ||
           state == PackageState::TriggersAwaited;
}

std::string DpkgPackage::binary_package() const {
    return multi_arch == MultiArch::Same ? name + ":" + architecture : name;
}

DpkgDatabase::DpkgDatabase(fs::path admin_dir, std::string native_architecture, Reporter reporter,
                           const Disk& disk)
    : disk_(disk),
      admin_dir_(std::move(admin_dir)),
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
    parse_stanzas(text, status,
                  [&](const Stanza& stanza) { packages_.push_back(to_package(stanza, status)); });

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
        parse_stanzas(*text, file, [&](const Stanza& stanza) {
            DpkgPackage update = to_package(stanza, file);
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
    if (auto it = installed_by_name_.find(std::string(name)); it != installed_by_name_.end())
        for (size_t i : it->second) out.push_back(&packages_[i]);
    return out;
}

std::vector<const DpkgPackage*> DpkgDatabase::providers(std::string_view virtual_name) const {
    std::vector<const DpkgPackage*> out;
    if (auto it = providers_by_name_.find(std::string(virtual_name));
        it != providers_by_name_.end())
        for (size_t i : it->second) out.push_back(&packages_[i]);
    return out;
}

const std::string& DpkgDatabase::effective_architecture(const DpkgPackage& package) const {
    if (package.architecture.empty() || package.architecture == "all") return native_;
    return package.architecture;
}

const std::vector<std::string>& DpkgDatabase::file_list(const DpkgPackage& package) const {
    if (auto it = file_lists_.find(&package); it != file_lists_.end()) return it->second;
    const fs::path info = admin_dir_ / "info";
    const std::string qualified = package.name + ":" + package.architecture + ".list";
    const std::string plain = package.name + ".list";
    const bool same = package.multi_arch == MultiArch::Same && !package.architecture.empty();
    fs::path file = info / (same ? qualified : plain);
    auto text = read_file(file, true);
    if (!text && !package.architecture.empty()) {
        file = info / (same ? plain : qualified);
        text = read_file(file, true);
    }
    std::vector<std::string> paths;
    if (!text) {
        reporter_.warn("files list file for package " + package.binary_package() +
                       " missing; assuming package has no files currently installed");
    } else {
        for_each_line(*text, [&](std::string_view line, int number) {
            if (line.empty() || line.front() != '/')
                throw DpkgFormatError(where(file, number) + "expected an absolute path, got " +
                                      quote(line));
            paths.emplace_back(line);
        });
    }
    return file_lists_.emplace(&package, std::move(paths)).first->second;
}

const char* to_string(PackageState state) {
    switch (state) {
        case PackageState::NotInstalled:
            return "not-installed";
        case PackageState::ConfigFiles:
            return "config-files";
        case PackageState::HalfInstalled:
            return "half-installed";
        case PackageState::Unpacked:
            return "unpacked";
        case PackageState::HalfConfigured:
            return "half-configured";
        case PackageState::TriggersAwaited:
            return "triggers-awaited";
        case PackageState::TriggersPending:
            return "triggers-pending";
        case PackageState::Installed:
            return "installed";
    }
    return "?";
}

const char* to_string(MultiArch multi_arch) {
    switch (multi_arch) {
        case MultiArch::No:
            return "no";
        case MultiArch::Same:
            return "same";
        case MultiArch::Foreign:
            return "foreign";
        case MultiArch::Allowed:
            return "allowed";
    }
    return "?";
}

}  // namespace ocitools
