// The text syntax shared by dpkg's database files: lines, and deb822 paragraphs (deb-control(5),
// deb822(5)): "Field: value" lines, continuation lines starting with a space or tab, paragraphs
// separated by blank lines, '#' comment lines skipped (as dpkg's parser does). Nothing is copied:
// fields are views into the text, which must outlive them.
#pragma once

#include <filesystem>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"

namespace ocitools {

// A dpkg database file (or a relationship field) that does not follow its syntax. The message
// starts with "<file>:<line>: " when it comes from a file.
class DpkgFormatError : public FormatError {
  public:
    using FormatError::FormatError;
};

inline bool is_blank(char c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

std::string_view trim(std::string_view s);

// "<file>:<line>: ", the start of a DpkgFormatError's message.
std::string where(const std::filesystem::path& file, int line);

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

struct Deb822Field {
    std::string_view name;   // as written: field names are case-insensitive, compare with is()
    std::string_view first;  // the first line's value, trimmed
    std::string_view more;   // the continuation lines, raw (empty for most fields)
    int line = 0;

    // Whether the field is `lower_name` (given in lower case), in any case.
    bool is(std::string_view lower_name) const;
    // The name in lower case, for messages.
    std::string lower_name() const;
    // The value: the first line, then each continuation line trimmed, after '\n'. Built only
    // for the fields that are used (Description, the longest, never is). `more` spans the
    // comment lines met inside the field too: they are skipped here, as dpkg skips them.
    std::string value() const;
    // The value without a copy when the field has one line (most do); else built in `scratch`.
    std::string_view value(std::string& scratch) const;
};

struct Deb822Paragraph {
    int line = 0;  // of its first field
    std::vector<Deb822Field> fields;

    const Deb822Field* find(std::string_view lower_name) const;
};

// Calls `each(paragraph)` for every paragraph of `text` (`file` names it in errors). Throws
// DpkgFormatError for a line that is neither a field, a continuation, a comment nor blank, and
// for a field given twice in one paragraph.
void for_each_paragraph(std::string_view text, const std::filesystem::path& file,
                        const std::function<void(const Deb822Paragraph&)>& each);

}  // namespace ocitools
