// NixDatabase: the references Nix recorded, read from its SQLite database
// (`<state-dir>/db/db.sqlite`: table ValidPaths(id, path, ...), table Refs(referrer, reference)).
//
// Read-only and lock-friendly: the database is opened with `mode=ro`, never `immutable=1`.
// Nix keeps it in WAL mode; a WAL reader takes only a shared read mark in the -shm index, which
// never blocks nix-daemon's writers (sqlite.org/wal.html, "concurrency"), and it sees the
// transactions still in the -wal file. `immutable=1` would take no lock at all but ignores the
// WAL, so paths registered since the last checkpoint would be missing, and a checkpoint running
// meanwhile could show torn pages. All queries of one closure run in one short read transaction,
// so they see one consistent snapshot (and, in rollback-journal mode, a writer waits at most that
// long).
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "closure/nix/nix_store_path.h"
#include "base/error.h"

struct sqlite3;
struct sqlite3_stmt;

namespace ocitools {

// The database is missing, unreadable, corrupt, or does not list a root as valid. The message
// names the database and the cause.
class NixDatabaseError : public ClosureError {
  public:
    using ClosureError::ClosureError;
};

class NixDatabase {
  public:
    // Open `<state_dir>/db/db.sqlite` read-only, and check that it has Nix's tables.
    NixDatabase(const std::string& state_dir, const StoreDir& store);
    ~NixDatabase();
    NixDatabase(const NixDatabase&) = delete;
    NixDatabase& operator=(const NixDatabase&) = delete;

    const std::string& path() const { return path_; }

    // Whether the database lists `path` as valid (built or substituted, and registered).
    bool is_valid(const StorePath& path);

    // The roots and every path they reference, transitively, sorted: `nix-store -qR`. Throws
    // NixDatabaseError naming a root the database does not list as valid. When `referrers` is
    // given, each path that is not a root gets its first referrer, breadth first from the roots;
    // `graph`, when given, gets every path's references.
    std::vector<StorePath> closure(const std::vector<StorePath>& roots,
                                   std::map<StorePath, StorePath>* referrers = nullptr,
                                   StoreGraph* graph = nullptr);

  private:
    struct StatementDeleter {
        void operator()(sqlite3_stmt* s) const;
    };
    using Statement = std::unique_ptr<sqlite3_stmt, StatementDeleter>;

    void find_referrers(const std::vector<StorePath>& roots,
                        std::map<StorePath, StorePath>* referrers, StoreGraph* graph);
    Statement prepare(const char* sql);
    void exec(const char* sql);
    [[noreturn]] void fail(const std::string& doing);

    std::string path_;
    StoreDir store_;
    sqlite3* db_ = nullptr;
    Statement valid_;
    Statement closure_;
    Statement references_;  // prepared when referrers are first asked for
};

// The file URI that opens `path` read-only, for sqlite3_open_v2 (RFC 3986 percent-encoding, so
// '?', '#' and '%' in a path are not taken for URI syntax).
std::string sqlite_read_only_uri(const std::string& path);

}  // namespace ocitools
