#include "closure/debian/relationships.h"

#include <algorithm>
#include <cctype>
#include <utility>

namespace ocitools {

namespace {

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

}  // namespace

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

}  // namespace ocitools
