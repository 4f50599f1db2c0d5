#include "closure/debian/dpkg_package.h"

#include <tuple>

#include <algorithm>
#include <utility>

#include "base/enum_names.h"

namespace ocitools {

namespace {

// Each enumeration's names, one table each, read both ways.
constexpr EnumName<PackageState> kPackageStates[] = {
    {PackageState::NotInstalled, "not-installed"},
    {PackageState::ConfigFiles, "config-files"},
    {PackageState::HalfInstalled, "half-installed"},
    {PackageState::Unpacked, "unpacked"},
    {PackageState::HalfConfigured, "half-configured"},
    {PackageState::TriggersAwaited, "triggers-awaited"},
    {PackageState::TriggersPending, "triggers-pending"},
    {PackageState::Installed, "installed"},
};

constexpr EnumName<MultiArch> kMultiArch[] = {
    {MultiArch::No, "no"},
    {MultiArch::Same, "same"},
    {MultiArch::Foreign, "foreign"},
    {MultiArch::Allowed, "allowed"},
};

// The value named `word` in `table`; throws DpkgFormatError saying `what` is unknown.
template <typename Enum, size_t N>
Enum value_of(const EnumName<Enum> (&table)[N], std::string_view word, const char* what) {
    if (auto value = value_named(table, word)) return *value;
    throw DpkgFormatError(std::string("unknown ") + what + " " + quote(word));
}

// The words of `s`, at most `N` + 1 of them (one more tells that there were too many).
template <size_t N>
size_t split_words(std::string_view s, std::string_view (&out)[N]) {
    size_t count = 0, pos = 0;
    while (pos < s.size() && count < N) {
        while (pos < s.size() && is_blank(s[pos])) ++pos;
        const size_t start = pos;
        while (pos < s.size() && !is_blank(s[pos])) ++pos;
        if (pos > start) out[count++] = s.substr(start, pos - start);
    }
    while (pos < s.size() && is_blank(s[pos])) ++pos;
    return pos < s.size() ? N + 1 : count;
}

void parse_status(std::string_view value, DpkgPackage& package) {
    std::string_view words[3];
    if (split_words(value, words) != 3)
        throw DpkgFormatError("expected \"want flag state\", got " + quote(value));
    static constexpr std::string_view kWants[] = {"unknown", "install", "hold", "deinstall",
                                                  "purge"};
    if (std::find(std::begin(kWants), std::end(kWants), words[0]) == std::end(kWants))
        throw DpkgFormatError("unknown selection state " + quote(words[0]));
    if (words[1] != "ok" && words[1] != "reinstreq")
        throw DpkgFormatError("unknown error flag " + quote(words[1]));
    package.want = words[0];
    package.eflag = words[1];
    package.state = value_of(kPackageStates, words[2], "package state");
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

}  // namespace

DpkgPackage DpkgPackage::parse(const Deb822Paragraph& stanza, std::string_view file) {
    DpkgPackage package;
    package.source = file;
    package.line = stanza.line;
    std::string scratch;
    const Deb822Field* name = stanza.find("package");
    if (name) package.name = name->value(scratch);
    if (package.name.empty())
        throw DpkgFormatError(where(file, stanza.line) + "stanza without a Package field");
    if (!stanza.find("status"))
        throw DpkgFormatError(where(file, stanza.line) + "package " + package.name +
                              " has no Status field");
    for (const Deb822Field& field : stanza.fields) {
        // The fields read, by their length first: most of a stanza is fields we skip.
        try {
            switch (field.name.size()) {
                case 6:
                    if (field.is("status")) parse_status(field.value(scratch), package);
                    break;
                case 7:
                    if (field.is("version")) package.version = field.value(scratch);
                    if (field.is("depends"))
                        package.depends = parse_relationships(field.value(scratch));
                    break;
                case 8:
                    if (field.is("provides")) {
                        for (auto& dependency : parse_relationships(field.value(scratch))) {
                            if (dependency.alternatives.size() != 1)
                                throw DpkgFormatError("alternatives are not allowed in Provides: " +
                                                      quote(dependency.to_string()));
                            package.provides.push_back(std::move(dependency.alternatives.front()));
                        }
                    }
                    break;
                case 9:
                    if (field.is("conffiles"))
                        package.conffiles = parse_conffiles(field.value(scratch));
                    break;
                case 10:
                    if (field.is("multi-arch"))
                        package.multi_arch =
                            value_of(kMultiArch, field.value(scratch), "Multi-Arch value");
                    break;
                case 11:
                    if (field.is("pre-depends"))
                        package.pre_depends = parse_relationships(field.value(scratch));
                    break;
                case 12:
                    if (field.is("architecture")) package.architecture = field.value(scratch);
                    break;
                default:
                    break;
            }
        } catch (const DpkgFormatError& e) {
            throw DpkgFormatError(where(file, field.line) + "package " + package.name + ", field " +
                                  field.lower_name() + ": " + e.what());
        }
    }
    return package;
}

bool DpkgPackage::installed() const {
    return state == PackageState::Installed || state == PackageState::TriggersPending ||
           state == PackageState::TriggersAwaited;
}

std::string DpkgPackage::binary_package() const {
    return multi_arch == MultiArch::Same ? name + ":" + architecture : name;
}

const char* to_string(PackageState state) {
    return name_of(kPackageStates, state);
}

const char* to_string(MultiArch multi_arch) {
    return name_of(kMultiArch, multi_arch);
}

bool by_name_and_arch(const DpkgPackage* a, const DpkgPackage* b) {
    return std::tie(a->name, a->architecture) < std::tie(b->name, b->architecture);
}

}  // namespace ocitools
