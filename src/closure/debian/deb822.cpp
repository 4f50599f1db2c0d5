#include "closure/debian/deb822.h"

#include <algorithm>

namespace ocitools {

namespace {

char to_lower(char c) {
    return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
}

bool same_name(std::string_view a, std::string_view b) {
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
               return to_lower(x) == to_lower(y);
           });
}

}  // namespace

std::string_view trim(std::string_view s) {
    while (!s.empty() && is_blank(s.front())) s.remove_prefix(1);
    while (!s.empty() && is_blank(s.back())) s.remove_suffix(1);
    return s;
}

std::string where(const std::filesystem::path& file, int line) {
    return quote(file.native()) + ":" + std::to_string(line) + ": ";
}

bool Deb822Field::is(std::string_view lower_name) const {
    return same_name(name, lower_name);
}

std::string Deb822Field::lower_name() const {
    std::string out(name);
    for (char& c : out) c = to_lower(c);
    return out;
}

std::string Deb822Field::value() const {
    std::string out(first);
    for_each_line(more, [&](std::string_view l, int) {
        if (!l.empty() && l.front() == '#') return;
        out += '\n';
        out += trim(l);
    });
    return out;
}

std::string_view Deb822Field::value(std::string& scratch) const {
    if (more.empty()) return first;
    scratch = value();
    return scratch;
}

const Deb822Field* Deb822Paragraph::find(std::string_view lower_name) const {
    for (const auto& f : fields)
        if (f.is(lower_name)) return &f;
    return nullptr;
}

void for_each_paragraph(std::string_view text, const std::filesystem::path& file,
                        const std::function<void(const Deb822Paragraph&)>& each) {
    Deb822Paragraph paragraph;
    bool open = false;
    auto close = [&] {
        if (open) each(paragraph);
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
            Deb822Field& field = paragraph.fields.back();
            // `line` lies in `text` right after the field's previous line: extend the span.
            const char* begin = field.more.empty() ? line.data() : field.more.data();
            field.more =
                std::string_view(begin, static_cast<size_t>(line.data() + line.size() - begin));
            return;
        }
        const size_t colon = line.find(':');
        const std::string_view name = line.substr(0, colon);
        if (colon == std::string_view::npos || name.empty() ||
            std::any_of(name.begin(), name.end(), is_blank))
            throw DpkgFormatError(where(file, number) + "expected \"Field: value\", got " +
                                  quote(line));
        if (!open) {
            paragraph.line = number;
            paragraph.fields.clear();
            open = true;
        }
        for (const Deb822Field& other : paragraph.fields)
            if (same_name(other.name, name))
                throw DpkgFormatError(where(file, number) + "duplicate field " + std::string(name));
        paragraph.fields.push_back(Deb822Field{name, trim(line.substr(colon + 1)), {}, number});
    });
    close();
}

}  // namespace ocitools
