#include "base/error.h"

#include <cstring>

namespace ocitools {

SystemError::SystemError(const std::string& what, const std::filesystem::path& path, int err)
    : Error(what + " " + quote(path.native()) + ": " + std::strerror(err)), code_(err) {}

namespace {

// Length of the valid UTF-8 sequence starting at s[i], or 0 (RFC 3629: no overlongs, no
// surrogates, nothing above U+10FFFF).
size_t utf8_length(std::string_view s, size_t i) {
    const auto byte = [&](size_t k) { return static_cast<unsigned char>(s[k]); };
    const unsigned char c = byte(i);
    size_t n;
    unsigned min;
    if (c < 0x80) return 1;
    if ((c & 0xe0) == 0xc0)
        n = 2, min = 0x80;
    else if ((c & 0xf0) == 0xe0)
        n = 3, min = 0x800;
    else if ((c & 0xf8) == 0xf0)
        n = 4, min = 0x10000;
    else
        return 0;
    if (i + n > s.size()) return 0;
    unsigned cp = c & (0x7f >> n);
    for (size_t k = 1; k < n; ++k) {
        if ((byte(i + k) & 0xc0) != 0x80) return 0;
        cp = (cp << 6) | (byte(i + k) & 0x3f);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return 0;
    return n;
}

}  // namespace

std::string quote(std::string_view s) {
    // Plain when nothing could be misread: printable, no blanks, quotes or backslashes, and
    // valid UTF-8. Otherwise in double quotes with C escapes, invalid bytes as \xNN, so every
    // name (spaces, newlines, non-UTF-8 bytes) prints unambiguously on one line.
    bool plain = !s.empty();
    for (size_t i = 0; i < s.size() && plain;) {
        const auto c = static_cast<unsigned char>(s[i]);
        if (c <= 0x20 || c == 0x7f || c == '"' || c == '\\' || c == '\'') plain = false;
        const size_t n = utf8_length(s, i);
        if (n == 0) plain = false;
        i += n ? n : 1;
    }
    if (plain) return std::string(s);
    std::string out = "\"";
    static const char hex[] = "0123456789abcdef";
    for (size_t i = 0; i < s.size();) {
        const auto c = static_cast<unsigned char>(s[i]);
        const size_t n = utf8_length(s, i);
        if (n > 1) {
            out.append(s.substr(i, n));
            i += n;
            continue;
        }
        ++i;
        switch (c) {
            case '"':
                out += "\\\"";
                break;
            case '\\':
                out += "\\\\";
                break;
            case '\n':
                out += "\\n";
                break;
            case '\t':
                out += "\\t";
                break;
            default:
                if (c < 0x20 || c >= 0x7f) {
                    out += "\\x";
                    out += hex[c >> 4];
                    out += hex[c & 15];
                } else {
                    out += static_cast<char>(c);
                }
        }
    }
    out += '"';
    return out;
}

}  // namespace ocitools
