#include "closure/nix/nix_store_scan.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "base/error.h"
#include "nix_test_support.h"
#include "test_support.h"

namespace ocitools {
namespace {

using namespace ocitools::testing;

// A store where `a` refers to each of b..e in another way, and f and g are further out.
class NixStoreScanTest : public ::testing::Test {
  protected:
    NixStoreScanTest() {
        // a: its contents name b (and a itself: self-references are not references)...
        write_text(a + "/bin/run", "#!/bin/sh\nexec " + b + " " + a + "/share\n");
        // ...a symlink target names c...
        fs::create_directories(c + "/bin");
        fs::create_symlink(c + "/bin", a + "/c-bin");
        // ...a file name holds d's base name...
        fs::create_directories(d);
        write_text(a + "/share/refs/" + fs::path(d).filename().string(), "");
        // ...and a large file holds e's hash across the scanner's 256 KiB read boundary.
        std::string big(600 << 10, '\x01');
        big.replace((256 << 10) - 10, 32, testing::fake_hash(5));
        write_text(a + "/lib/big.bin", big);
        write_text(e + "/x", "");
        // b is a single file naming f; f names nothing; g is referenced by nobody.
        write_text(b, "data " + f + "\n");
        write_text(f, "leaf\n");
        write_text(g, "nobody needs me " + a + "\n");
        // Entries that are not store paths, and a lock file beside a store path.
        fs::create_directories(store.store_dir() + "/.links");
        write_text(store.store_dir() + "/stray-file", "");
        write_text(a + ".lock", "");
    }
    FakeStore store;
    std::string a = store.path(1, "a"), b = store.path(2, "b-single-file"), c = store.path(3, "c"),
                d = store.path(4, "d"), e = store.path(5, "e"), f = store.path(6, "f"),
                g = store.path(7, "g-unreferenced");
};

TEST_F(NixStoreScanTest, ReferencesByContentsSymlinkTargetsAndFileNames) {
    StoreScan scan{StoreDir(store.store_dir())};
    EXPECT_EQ(scan.candidate_count(), 7u);  // a..g; not .links, stray-file, a's lock
    const auto refs = paths(scan.references(store.store_path(1, "a")));
    std::vector<std::string> expected{b, c, d, e};
    std::sort(expected.begin(), expected.end());
    EXPECT_EQ(refs, expected);
    EXPECT_EQ(paths(scan.references(store.store_path(2, "b-single-file"))),
              std::vector<std::string>{f});
    EXPECT_TRUE(scan.references(store.store_path(6, "f")).empty());
}

TEST_F(NixStoreScanTest, ClosureIsTransitive) {
    StoreScan scan{StoreDir(store.store_dir())};
    std::vector<std::string> expected{a, b, c, d, e, f};
    std::sort(expected.begin(), expected.end());
    EXPECT_EQ(paths(scan.closure({store.store_path(1, "a")})), expected);
    // g refers to a: its closure is everything.
    expected.push_back(g);
    std::sort(expected.begin(), expected.end());
    EXPECT_EQ(paths(scan.closure({store.store_path(7, "g-unreferenced")})), expected);
}

TEST_F(NixStoreScanTest, SymlinkStorePath) {
    const std::string link = store.path(8, "link");
    fs::create_symlink(f, link);
    StoreScan scan{StoreDir(store.store_dir())};
    std::vector<std::string> expected{f, link};
    std::sort(expected.begin(), expected.end());
    EXPECT_EQ(paths(scan.closure({store.store_path(8, "link")})), expected);
}

TEST_F(NixStoreScanTest, MissingRootIsAnError) {
    StoreScan scan{StoreDir(store.store_dir())};
    EXPECT_ERROR_CONTAINS(scan.closure({store.store_path(99, "gone")}), ClosureError,
                          store.path(99, "gone") + " does not exist in " + store.store_dir());
}

TEST_F(NixStoreScanTest, UnreadableStoreDirectoryIsNamed) {
    EXPECT_ERROR_CONTAINS(StoreScan{StoreDir(store.store_dir() + "-missing")}, SystemError,
                          "cannot read the Nix store directory " + store.store_dir() + "-missing");
}

}  // namespace
}  // namespace ocitools
