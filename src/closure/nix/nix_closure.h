// The Nix closure of store-path roots: the roots and every store path they reference,
// transitively, exactly as `nix-store -qR` lists them. The references come from Nix's database
// (NixDatabase) or, for a store copied without it, from scanning the store paths (StoreScan).
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "closure/nix/nix_store_path.h"
#include "base/reporter.h"

namespace ocitools {

// Where the references come from (--nix-references).
enum class NixReferences {
    Auto,  // the database when it is readable and lists every root as valid, else a scan
    Db,    // the database; any problem with it is an error
    Scan,  // Nix's own scan of the store paths' bytes
};

// "auto", "db" or "scan"; throws SpecError naming `what` (the flag) otherwise.
NixReferences parse_nix_references(std::string_view value, std::string_view what);
const char* to_string(NixReferences references);

struct NixClosure {
    std::vector<StorePath> paths;              // sorted
    NixReferences used = NixReferences::Scan;  // Db or Scan: where the references came from
    // With `referrers` asked: each path that is not a root, with the first path found to
    // refer to it (breadth first from the roots for the database, as the scan meets them).
    std::map<StorePath, StorePath> referrers;
    // With `graph` asked: every path's references (StoreGraph).
    StoreGraph graph;
};

// The closure of `roots` in `store`, with the database of `state_dir` (its db/db.sqlite).
// Throws NixDatabaseError (db mode: the database is missing, unreadable or corrupt, or does not
// list a root as valid) and ClosureError (a root that does not exist). In auto mode, a database
// that cannot be used is reported as a note, and the store is scanned.
NixClosure nix_closure(const StoreDir& store, const std::string& state_dir,
                       NixReferences references, const std::vector<StorePath>& roots,
                       const Reporter& reporter, bool referrers = false, bool graph = false);

}  // namespace ocitools
