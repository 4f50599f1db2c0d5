#include "closure/nix/nix_db.h"

#include <gtest/gtest.h>
#include <sqlite3.h>

#include <filesystem>

#include "nix_test_support.h"
#include "test_support.h"

namespace ocitools {
namespace {

using namespace ocitools::testing;

class NixDatabaseTest : public testing::FiveStorePathsTest {
  protected:
    void write_default_db(bool wal = true) {
        // a -> b -> c, a -> a (Nix records self-references), d -> c, other alone.
        store.write_db({a, b, c, d, other}, {{a, b}, {a, a}, {b, c}, {d, c}}, wal);
    }
};

TEST_F(NixDatabaseTest, ClosureFollowsRefs) {
    write_default_db();
    NixDatabase db(store.state_dir(), dir);
    EXPECT_EQ(db.path(), store.db_path());
    EXPECT_EQ(paths(db.closure({store.store_path(1, "a")})), (std::vector<std::string>{a, b, c}));
    EXPECT_EQ(paths(db.closure({store.store_path(4, "d"), store.store_path(2, "b")})),
              (std::vector<std::string>{b, c, d}));
    EXPECT_EQ(paths(db.closure({store.store_path(5, "other")})), std::vector<std::string>{other});
    EXPECT_TRUE(db.is_valid(store.store_path(3, "c")));
    EXPECT_FALSE(db.is_valid(store.store_path(9, "never")));
}

TEST_F(NixDatabaseTest, RollbackJournalDatabase) {
    write_default_db(/*wal=*/false);
    NixDatabase db(store.state_dir(), dir);
    EXPECT_EQ(paths(db.closure({store.store_path(1, "a")})), (std::vector<std::string>{a, b, c}));
}

TEST_F(NixDatabaseTest, InvalidRootIsNamed) {
    write_default_db();
    NixDatabase db(store.state_dir(), dir);
    EXPECT_ERROR_CONTAINS(db.closure({store.store_path(9, "never")}), NixDatabaseError,
                          "store path " + store.path(9, "never") +
                              " is not valid in the Nix database " + store.db_path());
}

TEST_F(NixDatabaseTest, MissingDatabase) {
    EXPECT_ERROR_CONTAINS(NixDatabase(store.state_dir(), dir), NixDatabaseError,
                          "there is no Nix database " + store.db_path());
}

TEST_F(NixDatabaseTest, UnreadableDatabase) {
    // A symlink loop: unreadable whoever we are (root reads files of any mode).
    fs::create_directories(store.state_dir() + "/db");
    fs::create_symlink("db.sqlite", store.db_path());
    EXPECT_ERROR_CONTAINS(
        NixDatabase(store.state_dir(), dir), NixDatabaseError,
        "cannot read the Nix database " + store.db_path() + ": Too many levels of symbolic links");
}

TEST_F(NixDatabaseTest, CorruptDatabase) {
    write_text(store.db_path(), std::string(4096, 'x'));
    EXPECT_ERROR_CONTAINS(NixDatabase(store.state_dir(), dir), NixDatabaseError,
                          "the Nix database " + store.db_path() + ": file is not a database");
}

TEST_F(NixDatabaseTest, DatabaseWithoutNixTables) {
    fs::create_directories(store.state_dir() + "/db");
    sqlite3* raw = nullptr;
    ASSERT_EQ(sqlite3_open(store.db_path().c_str(), &raw), SQLITE_OK);
    FakeStore::exec(raw, "CREATE TABLE unrelated (x)");
    sqlite3_close(raw);
    EXPECT_ERROR_CONTAINS(NixDatabase(store.state_dir(), dir), NixDatabaseError,
                          "the Nix database " + store.db_path() + ": no such table: ValidPaths");
}

TEST_F(NixDatabaseTest, TruncatedDatabase) {
    write_default_db(/*wal=*/false);
    std::vector<std::string> whole;
    {
        NixDatabase db(store.state_dir(), dir);
        whole = paths(db.closure({store.store_path(1, "a")}));
    }
    ASSERT_EQ(whole.size(), 3u);
    const auto size = fs::file_size(store.db_path());
    // Every cut: an error naming the database, or (a short file may still hold every page the
    // query needs) exactly the whole database's answer, never a wrong one. At least one cut must
    // be refused, or this test checks nothing.
    size_t refused = 0;
    const std::string intact = testing::read_text(store.db_path());
    for (const auto cut : {size / 2, size / 4, size - 1, std::uintmax_t{100}}) {
        testing::write_text(store.db_path(), intact);
        fs::resize_file(store.db_path(), cut);
        try {
            NixDatabase db(store.state_dir(), dir);
            EXPECT_EQ(paths(db.closure({store.store_path(1, "a")})), whole) << "cut at " << cut;
        } catch (const NixDatabaseError& e) {
            ++refused;
            EXPECT_NE(std::string(e.what()).find(store.db_path()), std::string::npos) << e.what();
        }
    }
    EXPECT_GT(refused, 0u);
}

TEST_F(NixDatabaseTest, PathOfAnotherStoreIsAnError) {
    store.write_db({a, "/elsewhere/store/" + testing::fake_hash(8) + "-x"},
                   {{a, "/elsewhere/store/" + testing::fake_hash(8) + "-x"}});
    NixDatabase db(store.state_dir(), dir);
    EXPECT_ERROR_CONTAINS(db.closure({store.store_path(1, "a")}), NixDatabaseError,
                          "which is not a store path of " + store.store_dir());
}

TEST_F(NixDatabaseTest, SeesTheWalAndNeverBlocksAWriter) {
    // A writer (standing in for nix-daemon) keeps its connection open, so what it registers
    // stays in the -wal file, not yet checkpointed into db.sqlite. `immutable=1` would not see
    // it; `mode=ro` must.
    write_default_db(/*wal=*/true);
    sqlite3* writer = nullptr;
    ASSERT_EQ(sqlite3_open(store.db_path().c_str(), &writer), SQLITE_OK);
    FakeStore::exec(writer, "PRAGMA wal_autocheckpoint=0");
    const std::string fresh = store.path(6, "fresh");
    FakeStore::exec(writer, "INSERT INTO ValidPaths (path, hash, registrationTime) VALUES ('" +
                                fresh + "', 'sha256:0', 1)");
    FakeStore::exec(writer,
                    "INSERT INTO Refs SELECT a.id, b.id FROM ValidPaths a, ValidPaths b "
                    "WHERE a.path = '" +
                        fresh + "' AND b.path = '" + b + "'");
    ASSERT_GT(fs::file_size(store.db_path() + "-wal"), 0u);

    NixDatabase db(store.state_dir(), dir);
    EXPECT_EQ(paths(db.closure({store.store_path(6, "fresh")})),
              (std::vector<std::string>{b, c, fresh}));
    // With our connection open, the writer commits at once (no busy wait allowed).
    sqlite3_busy_timeout(writer, 0);
    FakeStore::exec(writer,
                    "BEGIN IMMEDIATE; INSERT INTO ValidPaths (path, hash, "
                    "registrationTime) VALUES ('" +
                        store.path(7, "later") + "', 'sha256:0', 1); COMMIT");
    EXPECT_TRUE(db.is_valid(store.store_path(7, "later")));
    sqlite3_close(writer);
}

TEST(NixSqliteUri, PercentEncodesUriSyntax) {
    EXPECT_EQ(sqlite_read_only_uri("/nix/var/nix/db/db.sqlite"),
              "file:/nix/var/nix/db/db.sqlite?mode=ro");
    EXPECT_EQ(sqlite_read_only_uri("/a b/?#%/x"), "file:/a%20b/%3F%23%25/x?mode=ro");
}

TEST(NixDatabasePaths, StateDirWithUriCharacters) {
    testing::ScratchDir scratch;
    const std::string state = (scratch / "state ?#%x").string();
    const StoreDir dir("/nix/store");
    const std::string p = "/nix/store/" + testing::fake_hash(1) + "-p";
    fs::create_directories(state + "/db");
    sqlite3* raw = nullptr;
    ASSERT_EQ(sqlite3_open((state + "/db/db.sqlite").c_str(), &raw), SQLITE_OK);
    FakeStore::exec(raw, FakeStore::kSchema);
    FakeStore::exec(
        raw, "INSERT INTO ValidPaths (path, hash, registrationTime) VALUES ('" + p + "', 'x', 1)");
    sqlite3_close(raw);
    NixDatabase db(state, dir);
    EXPECT_TRUE(db.is_valid(*dir.store_path_of(p)));
}

}  // namespace
}  // namespace ocitools
