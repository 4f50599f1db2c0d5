#include "closure/nix/nix_db.h"

#include <fcntl.h>
#include <sqlite3.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <deque>
#include <set>

#include "fs/unique_fd.h"

namespace ocitools {

namespace {

// How long a read waits for a writer holding the database (rollback-journal mode, or WAL
// recovery). Nix itself waits much longer; a closure query should not stall a build forever.
constexpr int kBusyTimeoutMs = 10000;

// Every path reachable from ?1 through Refs; UNION (not UNION ALL) stops at paths seen already.
constexpr const char* kClosureSql =
    "WITH RECURSIVE closure(id) AS ("
    "  SELECT id FROM ValidPaths WHERE path = ?1"
    "  UNION"
    "  SELECT Refs.reference FROM Refs JOIN closure ON Refs.referrer = closure.id)"
    "SELECT ValidPaths.path FROM closure JOIN ValidPaths ON ValidPaths.id = closure.id";

// The paths ?1 refers to directly.
constexpr const char* kReferencesSql =
    "SELECT target.path FROM ValidPaths source"
    "  JOIN Refs ON Refs.referrer = source.id"
    "  JOIN ValidPaths target ON target.id = Refs.reference"
    " WHERE source.path = ?1";

// Reset `s` and bind `path` as its parameter ?1.
void bind_path(sqlite3_stmt* s, const StorePath& path) {
    sqlite3_reset(s);
    sqlite3_bind_text(s, 1, path.path().data(), static_cast<int>(path.path().size()),
                      SQLITE_TRANSIENT);
}

// The text of the current row's first column (valid until the next step).
std::string_view first_column(sqlite3_stmt* s) {
    const auto* text = reinterpret_cast<const char*>(sqlite3_column_text(s, 0));
    return {text ? text : "", static_cast<size_t>(sqlite3_column_bytes(s, 0))};
}

}  // namespace

std::string sqlite_read_only_uri(const std::string& path) {
    static const char hex[] = "0123456789ABCDEF";
    std::string uri = "file:";
    for (unsigned char c : path) {
        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
            c == '/' || c == '-' || c == '.' || c == '_' || c == '~') {
            uri += static_cast<char>(c);
        } else {
            uri += '%';
            uri += hex[c >> 4];
            uri += hex[c & 15];
        }
    }
    return uri + "?mode=ro";
}

void NixDatabase::StatementDeleter::operator()(sqlite3_stmt* s) const {
    sqlite3_finalize(s);
}

NixDatabase::NixDatabase(const std::string& state_dir, const StoreDir& store)
    : path_(state_dir + "/db/db.sqlite"), store_(store) {
    // SQLite reports an unreadable file as "unable to open database file": find the real cause.
    UniqueFd probe(open(path_.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY));
    if (!probe) {
        const int err = errno;
        if (err == ENOENT) throw NixDatabaseError("there is no Nix database " + quote(path_));
        throw NixDatabaseError("cannot read the Nix database " + quote(path_) + ": " +
                               std::strerror(err));
    }
    probe.reset();
    const std::string uri = sqlite_read_only_uri(path_);
    if (sqlite3_open_v2(uri.c_str(), &db_, SQLITE_OPEN_READONLY | SQLITE_OPEN_URI, nullptr) !=
        SQLITE_OK)
        fail("cannot open");
    sqlite3_extended_result_codes(db_, 1);
    sqlite3_busy_timeout(db_, kBusyTimeoutMs);
    // Preparing reads the schema: a file that is not a database, or lacks Nix's tables, fails
    // here.
    valid_ = prepare("SELECT 1 FROM ValidPaths WHERE path = ?1");
    closure_ = prepare(kClosureSql);
}

NixDatabase::~NixDatabase() {
    valid_.reset();
    closure_.reset();
    references_.reset();
    sqlite3_close(db_);
}

void NixDatabase::fail(const std::string& doing) {
    std::string message = db_ ? sqlite3_errmsg(db_) : "out of memory";
    if (db_ && sqlite3_system_errno(db_) != 0)
        message += std::string(" (") + std::strerror(sqlite3_system_errno(db_)) + ")";
    throw NixDatabaseError(doing + " the Nix database " + quote(path_) + ": " + message);
}

NixDatabase::Statement NixDatabase::prepare(const char* sql) {
    sqlite3_stmt* stmt = nullptr;
    if (sqlite3_prepare_v2(db_, sql, -1, &stmt, nullptr) != SQLITE_OK) fail("cannot query");
    return Statement(stmt);
}

void NixDatabase::exec(const char* sql) {
    if (sqlite3_exec(db_, sql, nullptr, nullptr, nullptr) != SQLITE_OK) fail("cannot read");
}

bool NixDatabase::is_valid(const StorePath& path) {
    sqlite3_stmt* s = valid_.get();
    bind_path(s, path);
    const int rc = sqlite3_step(s);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) fail("cannot read");
    sqlite3_reset(s);
    return rc == SQLITE_ROW;
}

std::vector<StorePath> NixDatabase::closure(const std::vector<StorePath>& roots,
                                            std::map<StorePath, StorePath>* referrers,
                                            StoreGraph* graph) {
    std::set<StorePath> paths;
    exec("BEGIN");  // one read transaction: one snapshot for every root
    try {
        for (const auto& root : roots) {
            if (!is_valid(root))
                throw NixDatabaseError("store path " + quote(root.path()) +
                                       " is not valid in the Nix database " + quote(path_) +
                                       " (not built or registered there)");
            sqlite3_stmt* s = closure_.get();
            bind_path(s, root);
            int rc;
            while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
                const std::string_view path = first_column(s);
                auto store_path = store_.store_path_of(path);
                if (!store_path || store_path->path() != path)
                    throw NixDatabaseError("the Nix database " + quote(path_) + " lists " +
                                           quote(path) + ", which is not a store path of " +
                                           quote(store_.path()) +
                                           " (does the database belong to another store?)");
                paths.insert(std::move(*store_path));
            }
            if (rc != SQLITE_DONE) fail("cannot read");
            sqlite3_reset(s);
        }
        if (referrers || graph) find_referrers(roots, referrers, graph);
    } catch (...) {
        sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
        throw;
    }
    exec("COMMIT");
    return {paths.begin(), paths.end()};
}

void NixDatabase::find_referrers(const std::vector<StorePath>& roots,
                                 std::map<StorePath, StorePath>* referrers,
                                 StoreGraph* graph) {
    if (!references_) references_ = prepare(kReferencesSql);
    sqlite3_stmt* s = references_.get();
    std::set<StorePath> seen(roots.begin(), roots.end());
    std::deque<StorePath> queue(roots.begin(), roots.end());
    while (!queue.empty()) {
        const StorePath path = std::move(queue.front());
        queue.pop_front();
        bind_path(s, path);
        int rc;
        while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
            auto ref = store_.store_path_of(first_column(s));
            if (!ref || *ref == path) continue;  // closure() has checked them
            if (graph) (*graph)[path].push_back(*ref);
            if (!seen.insert(*ref).second) continue;
            if (referrers) referrers->emplace(*ref, path);
            queue.push_back(std::move(*ref));
        }
        if (rc != SQLITE_DONE) fail("cannot read");
        sqlite3_reset(s);
        if (graph) {
            auto& refs = (*graph)[path];
            std::sort(refs.begin(), refs.end());
        }
    }
}

}  // namespace ocitools
