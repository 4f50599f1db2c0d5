// StoreScan: the references of store paths found by scanning them, for stores copied without
// their Nix database. The candidates are the entries of the store directory (every name that is
// a valid `<hash>-<name>`); a store path refers to each candidate whose hash part occurs in its
// file contents, its symlink targets or its file names (the bytes of its NAR serialisation, as
// Nix scans them). Files are streamed through a fixed buffer, so a large store is never read
// into memory.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "closure/nix/nix_reference_scanner.h"
#include "closure/nix/nix_store_path.h"

namespace ocitools {

class StoreScan {
  public:
    // Lists the store directory. Throws SystemError naming it when it cannot be read.
    explicit StoreScan(const StoreDir& store);

    // Whether `path` is an entry of the store directory.
    bool exists(const StorePath& path) const;

    // The store paths `path` refers to, sorted, itself excluded. Throws SystemError naming the
    // file that cannot be read.
    std::vector<StorePath> references(const StorePath& path);

    // `roots` and everything they refer to, transitively (what `nix-store -qR` lists), sorted.
    // Throws ClosureError naming a root that is not in the store. When `referrers` is given,
    // each path that is not a root gets the path whose scan found it first; `graph`, when
    // given, gets every path's references.
    std::vector<StorePath> closure(const std::vector<StorePath>& roots,
                                   std::map<StorePath, StorePath>* referrers = nullptr,
                                   StoreGraph* graph = nullptr);

    size_t candidate_count() const { return by_hash_.size(); }

  private:
    void scan_file(int dir_fd, const std::string& name, const std::string& path,
                   ReferenceScanner& scanner);

    StoreDir store_;
    ReferenceCandidates candidates_;
    std::map<std::string, StorePath, std::less<>> by_hash_;
    std::string buffer_;
};

}  // namespace ocitools
