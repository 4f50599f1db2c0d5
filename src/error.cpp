#include "error.h"

#include <cstring>

namespace ocitools {

SystemError::SystemError(const std::string& what, const std::filesystem::path& path, int err)
    : Error(what + " " + quote(path.native()) + ": " + std::strerror(err)), code_(err) {}

std::string quote(std::string_view s) {
    bool plain = !s.empty();
    for (unsigned char c : s) {
        if (c <= 0x20 || c == 0x7f || c == '"' || c == '\\' || c == '\'') {
            plain = false;
            break;
        }
    }
    if (plain) return std::string(s);
    std::string out = "\"";
    static const char hex[] = "0123456789abcdef";
    for (unsigned char c : s) {
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
                if (c < 0x20 || c == 0x7f) {
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
