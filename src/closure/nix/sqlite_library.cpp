// SQLite, opened when the Nix database is first read (base/shared_library.h): a closure of
// Debian programs never loads it. Every function src/closure/nix calls is forwarded here; one
// missing is an undefined reference at link time. OCITOOLS_LIBSQLITE3_{PATH,SONAME} come from
// src/CMakeLists.txt.
#include <sqlite3.h>

#include "base/shared_library.h"

namespace {
constinit ocitools::SharedLibrary libsqlite3(OCITOOLS_LIBSQLITE3_PATH,
                                                   OCITOOLS_LIBSQLITE3_SONAME,
                                                   "reading the Nix database");
}  // namespace

OCITOOLS_FORWARD(libsqlite3, int, sqlite3_open_v2,
                 (const char* file, sqlite3** db, int flags, const char* vfs),
                 (file, db, flags, vfs))
OCITOOLS_FORWARD(libsqlite3, int, sqlite3_close, (sqlite3 * db), (db))
OCITOOLS_FORWARD(libsqlite3, int, sqlite3_extended_result_codes, (sqlite3 * db, int on), (db, on))
OCITOOLS_FORWARD(libsqlite3, int, sqlite3_busy_timeout, (sqlite3 * db, int ms), (db, ms))
OCITOOLS_FORWARD(libsqlite3, int, sqlite3_exec,
                 (sqlite3 * db, const char* sql, int (*callback)(void*, int, char**, char**),
                  void* data, char** error),
                 (db, sql, callback, data, error))
OCITOOLS_FORWARD(libsqlite3, int, sqlite3_prepare_v2,
                 (sqlite3 * db, const char* sql, int size, sqlite3_stmt** stmt, const char** tail),
                 (db, sql, size, stmt, tail))
OCITOOLS_FORWARD(libsqlite3, int, sqlite3_bind_text,
                 (sqlite3_stmt * stmt, int i, const char* text, int size, void (*free)(void*)),
                 (stmt, i, text, size, free))
OCITOOLS_FORWARD(libsqlite3, int, sqlite3_step, (sqlite3_stmt * stmt), (stmt))
OCITOOLS_FORWARD(libsqlite3, int, sqlite3_reset, (sqlite3_stmt * stmt), (stmt))
OCITOOLS_FORWARD(libsqlite3, int, sqlite3_finalize, (sqlite3_stmt * stmt), (stmt))
OCITOOLS_FORWARD(libsqlite3, const unsigned char*, sqlite3_column_text,
                 (sqlite3_stmt * stmt, int column), (stmt, column))
OCITOOLS_FORWARD(libsqlite3, int, sqlite3_column_bytes, (sqlite3_stmt * stmt, int column),
                 (stmt, column))
OCITOOLS_FORWARD(libsqlite3, const char*, sqlite3_errmsg, (sqlite3 * db), (db))
OCITOOLS_FORWARD(libsqlite3, int, sqlite3_system_errno, (sqlite3 * db), (db))
