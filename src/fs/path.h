// Lexical operations on absolute paths, as the closure and the writer handle them.
#pragma once

#include <string>

namespace ocitools {

// Lexically join and clean an absolute path: collapse "//" and ".", keep "..".
std::string join_path(const std::string& dir, const std::string& name);

// The directory part of an absolute path: "/usr/bin" for "/usr/bin/x", "/" for "/x" and "/".
std::string parent_path(const std::string& path);

}  // namespace ocitools
