#include "closure/script/shebang.h"

#include <algorithm>
#include <iterator>
#include <sstream>
#include <string_view>
#include <vector>

namespace ocitools {

namespace {

std::vector<std::string> words(const std::string& s) {
    std::vector<std::string> out;
    std::istringstream in(s);
    for (std::string w; in >> w;) out.push_back(w);
    return out;
}

std::string basename(const std::string& path) {
    const size_t slash = path.rfind('/');
    return slash == std::string::npos ? path : path.substr(slash + 1);
}

}  // namespace

std::optional<Shebang> parse_shebang(const std::string& head) {
    if (head.size() < 2 || head[0] != '#' || head[1] != '!') return std::nullopt;
    std::string line = head.substr(2, kShebangMax - 2);
    if (const size_t nl = line.find('\n'); nl != std::string::npos) line.resize(nl);
    // The kernel splits on spaces and tabs: the interpreter, then the rest as one argument
    // with surrounding blanks removed.
    auto is_blank = [](char c) { return c == ' ' || c == '\t'; };
    size_t i = 0;
    while (i < line.size() && is_blank(line[i])) ++i;
    size_t j = i;
    while (j < line.size() && !is_blank(line[j])) ++j;
    if (i == j) return std::nullopt;
    Shebang sb;
    sb.interpreter = line.substr(i, j - i);
    while (j < line.size() && is_blank(line[j])) ++j;
    size_t end = line.size();
    while (end > j && (is_blank(line[end - 1]) || line[end - 1] == '\r')) --end;
    sb.argument = line.substr(j, end - j);

    if (basename(sb.interpreter) == "env" && !sb.argument.empty()) {
        // env(1): options first (-S splits the rest into words), NAME=VALUE assignments, then
        // the program.
        const auto parts = words(sb.argument);
        for (size_t k = 0; k < parts.size(); ++k) {
            const std::string& w = parts[k];
            if (w == "-S" || w == "--split-string" || w == "-i" || w == "--ignore-environment" ||
                w == "-0" || w == "--null" || w == "-v" || w == "--debug")
                continue;
            if (w.rfind("-S", 0) == 0 && w.size() > 2) {
                // "-Spython3": the program is glued to the option.
                sb.env_program = w.substr(2);
                break;
            }
            if (w == "-u" || w == "--unset" || w == "-C" || w == "--chdir") {
                ++k;  // these take a value
                continue;
            }
            if (w.rfind("-", 0) == 0 || w.find('=') != std::string::npos) continue;
            sb.env_program = w;
            break;
        }
    }
    return sb;
}

// A known name, then nothing but digits, dots and dashes (python3.11, pypy3, Rscript). Matched
// by hand: compiling the same std::regex cost a tenth of the instructions of
// `ocitools closure` on a small program.
bool is_known_interpreter(const std::string& program) {
    static constexpr std::string_view kNames[] = {
        "python", "pypy",  "perl",    "ruby", "node", "nodejs", "php",  "lua",   "luajit", "tclsh",
        "wish",   "Rscript", "R",     "guile", "java", "erl",   "escript", "gjs", "raku",  "julia",
        "octave"};
    const std::string name = basename(program);
    const std::string_view view(name);
    return std::any_of(std::begin(kNames), std::end(kNames), [&](std::string_view known) {
        return view.starts_with(known) &&
               view.substr(known.size()).find_first_not_of("0123456789.-") == std::string_view::npos;
    });
}

}  // namespace ocitools
