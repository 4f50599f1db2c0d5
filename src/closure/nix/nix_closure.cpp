#include "closure/nix/nix_closure.h"

#include <optional>

#include "closure/nix/nix_db.h"
#include "closure/nix/nix_store_scan.h"
#include "base/enum_names.h"
#include "base/error.h"

namespace ocitools {

namespace {

constexpr EnumName<NixReferences> kNixReferences[] = {
    {NixReferences::Auto, "auto"}, {NixReferences::Db, "db"}, {NixReferences::Scan, "scan"}};

}  // namespace

NixReferences parse_nix_references(std::string_view value, std::string_view what) {
    return parse_named(kNixReferences, value, what, "way to find references");
}

const char* to_string(NixReferences references) {
    return name_of(kNixReferences, references);
}

NixClosure nix_closure(const StoreDir& store, const std::string& state_dir,
                       NixReferences references, const std::vector<StorePath>& roots,
                       const Reporter& reporter, bool referrers, bool graph) {
    NixClosure out;
    auto* first_referrers = referrers ? &out.referrers : nullptr;
    auto* references_graph = graph ? &out.graph : nullptr;
    if (references != NixReferences::Scan) {
        std::optional<NixDatabase> db;
        try {
            db.emplace(state_dir, store);
            if (references == NixReferences::Auto) {
                for (const auto& root : roots)
                    if (!db->is_valid(root))
                        throw NixDatabaseError("the Nix database " + quote(db->path()) +
                                               " does not list " + quote(root.path()) +
                                               " as valid");
            }
            out.paths = db->closure(roots, first_referrers, references_graph);
            out.used = NixReferences::Db;
            return out;
        } catch (const NixDatabaseError& e) {
            if (references == NixReferences::Db) throw;
            out.referrers.clear();
            out.graph.clear();
            reporter.note(std::string(e.what()) + ": finding the references of the store paths " +
                          "by scanning them");
        }
    }
    StoreScan scan(store);
    out.paths = scan.closure(roots, first_referrers, references_graph);
    out.used = NixReferences::Scan;
    return out;
}

}  // namespace ocitools
