// Helpers for the Nix unit tests: deterministic hash parts, and a synthetic store (entries named
// `<hash>-<name>` in a scratch directory) with an optional Nix database written through SQLite.
#pragma once

#include <gtest/gtest.h>
#include <sqlite3.h>
#include <sys/stat.h>

#include <cstdint>
#include <filesystem>
#include <string>
#include <utility>
#include <vector>

#include "closure/nix/nix_store_path.h"
#include "test_support.h"

namespace ocitools::testing {

// 32 characters of the Nix base32 alphabet, different for each seed.
inline std::string fake_hash(std::uint64_t seed) {
    std::uint64_t x = seed * 0x9E3779B97F4A7C15ull + 0x632BE59BD9B4E019ull;
    std::string hash;
    for (size_t i = 0; i < kStoreHashLength; ++i) {
        x = x * 6364136223846793005ull + 1442695040888963407ull;
        hash += kNixBase32Alphabet[(x >> 59) & 31];
    }
    return hash;
}

// A scratch store: `<dir>/store` holds the store paths, `<dir>/state` is the state directory.
class FakeStore {
  public:
    FakeStore() : store_dir_((dir_ / "store").string()) {
        std::filesystem::create_directories(dir_ / "store");
    }

    std::string store_dir() const { return (dir_ / "store").string(); }
    std::string state_dir() const { return (dir_ / "state").string(); }
    std::string db_path() const { return state_dir() + "/db/db.sqlite"; }
    const std::filesystem::path& dir() const { return dir_.path(); }

    // "<store>/<hash of seed>-<name>" (not created).
    std::string path(std::uint64_t seed, const std::string& name) const {
        return store_dir() + "/" + fake_hash(seed) + "-" + name;
    }
    StorePath store_path(std::uint64_t seed, const std::string& name) const {
        return *store_dir_.store_path_of(path(seed, name));
    }

    // Write a Nix database holding `valid` paths and `refs` (referrer, reference) between them,
    // with the tables of Nix's schema that the closure reads.
    void write_db(const std::vector<std::string>& valid,
                  const std::vector<std::pair<std::string, std::string>>& refs,
                  bool wal = true) const {
        std::filesystem::create_directories(state_dir() + "/db");
        sqlite3* db = nullptr;
        if (sqlite3_open(db_path().c_str(), &db) != SQLITE_OK) std::abort();
        exec(db, wal ? "PRAGMA journal_mode=WAL" : "PRAGMA journal_mode=DELETE");
        exec(db, kSchema);
        for (const auto& p : valid)
            exec(db, "INSERT INTO ValidPaths (path, hash, registrationTime) VALUES ('" + p +
                         "', 'sha256:0', 1)");
        for (const auto& [from, to] : refs)
            exec(db,
                 "INSERT INTO Refs (referrer, reference) SELECT a.id, b.id FROM ValidPaths a, "
                 "ValidPaths b WHERE a.path = '" +
                     from + "' AND b.path = '" + to + "'");
        sqlite3_close(db);
    }

    static void exec(sqlite3* db, const std::string& sql) {
        char* error = nullptr;
        if (sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &error) != SQLITE_OK) {
            fprintf(stderr, "sqlite: %s: %s\n", sql.c_str(), error ? error : "?");
            std::abort();
        }
    }

    // Nix's schema (src/libstore/schema.sql), the two tables the closure reads.
    static constexpr const char* kSchema =
        "CREATE TABLE IF NOT EXISTS ValidPaths (id integer primary key autoincrement not null, "
        "path text unique not null, hash text not null, registrationTime integer not null, "
        "deriver text, narSize integer, ultimate integer, sigs text, ca text);"
        "CREATE TABLE IF NOT EXISTS Refs (referrer integer not null, reference integer not null, "
        "primary key (referrer, reference), "
        "foreign key (referrer) references ValidPaths(id) on delete cascade, "
        "foreign key (reference) references ValidPaths(id) on delete restrict);"
        "CREATE INDEX IF NOT EXISTS IndexReferrer on Refs(referrer);"
        "CREATE INDEX IF NOT EXISTS IndexReference on Refs(reference);";

  private:
    ScratchDir dir_;
    StoreDir store_dir_;
};

// The fixture of tests on a scratch store with five store paths, whose files and references
// each test writes: a, b, c, d and other (seeds 1 to 5; not created).
class FiveStorePathsTest : public ::testing::Test {
  protected:
    FakeStore store;
    StoreDir dir{store.store_dir()};
    std::string a = store.path(1, "a"), b = store.path(2, "b"), c = store.path(3, "c"),
                d = store.path(4, "d"), other = store.path(5, "other");
};

// The paths of store paths, for comparing with EXPECT_EQ.
inline std::vector<std::string> paths(const std::vector<StorePath>& v) {
    std::vector<std::string> out;
    for (const auto& p : v) out.push_back(p.path());
    return out;
}

}  // namespace ocitools::testing
