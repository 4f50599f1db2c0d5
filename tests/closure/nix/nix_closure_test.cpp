// compute_closure with Nix store paths, on a scratch store: roots found in every place they can
// be, the closure from the database and from a scan, and the errors.
#include "closure/nix/nix_closure.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "closure/closure.h"
#include "closure/nix/nix_db.h"
#include "base/error.h"
#include "nix_test_support.h"
#include "test_support.h"

namespace ocitools {
namespace {

using namespace ocitools::testing;

// app/bin/app is a #! script run by sh/bin/sh (a static busybox), naming data; data is also
// reachable from conf; lone stands apart.
class NixClosureTest : public ::testing::Test {
  protected:
    NixClosureTest() {
        fs::create_directories(sh + "/bin");
        fs::copy_file("/bin/busybox", sh + "/bin/sh");
        fs::permissions(sh + "/bin/sh", fs::perms(0555));
        write_text(app + "/bin/app", "#!" + sh + "/bin/sh\ncat " + data + "/motd\n");
        fs::permissions(app + "/bin/app", fs::perms(0555));
        write_text(data + "/motd", "hi\n");
        write_text(conf + "/etc/c", "motd=" + data + "/motd\n");
        write_text(lone, "alone\n");
        options.store_dir = store.store_dir();
        options.state_dir = store.state_dir();
    }
    void write_db() {
        store.write_db({sh, app, data, conf, lone}, {{app, sh}, {app, data}, {conf, data}});
    }
    Closure closure_of(std::vector<std::string> args, std::vector<std::string> include = {}) {
        ContainerSpec spec;
        spec.args = std::move(args);
        spec.include = std::move(include);
        return compute_closure(spec, "/usr/bin:/bin", reporter, options);
    }
    static std::vector<std::string> store_paths(const Closure& c) {
        std::vector<std::string> out;
        for (const auto& e : c.plan.entries())
            if (e.kind == EntryKind::StorePath) out.push_back(e.path);
        return out;
    }
    static std::vector<std::string> host_paths(const Closure& c) {
        std::vector<std::string> out;
        for (const auto& e : c.plan.entries())
            if (e.kind != EntryKind::StorePath) out.push_back(e.path);
        return out;
    }
    std::vector<std::string> sorted(std::vector<std::string> v) {
        std::sort(v.begin(), v.end());
        return v;
    }

    FakeStore store;
    std::string sh = store.path(1, "sh"), app = store.path(2, "app"), data = store.path(3, "data"),
                conf = store.path(4, "conf"), lone = store.path(5, "lone");
    ClosureOptions options;
    std::vector<std::string> notes;
    Reporter reporter{[this](const std::string& m) { notes.push_back("warning: " + m); },
                      [this](const std::string& m) { notes.push_back(m); }};
};

TEST_F(NixClosureTest, ScriptInTheStoreFromTheDatabase) {
    write_db();
    options.nix_references = NixReferences::Db;
    const Closure c = closure_of({app + "/bin/app"});
    EXPECT_EQ(store_paths(c), sorted({sh, app, data}));
    EXPECT_TRUE(host_paths(c).empty());  // nothing but whole store paths
    EXPECT_EQ(c.nix_references, NixReferences::Db);
    EXPECT_EQ(c.plan.find(app)->kind, EntryKind::StorePath);
    EXPECT_EQ(c.plan.find(app)->source, app);
}

TEST_F(NixClosureTest, ScriptInTheStoreByScanning) {
    options.nix_references = NixReferences::Scan;
    const Closure c = closure_of({app + "/bin/app"});
    EXPECT_EQ(store_paths(c), sorted({sh, app, data}));
    EXPECT_EQ(c.nix_references, NixReferences::Scan);
}

TEST_F(NixClosureTest, AutoUsesTheDatabaseWhenItKnowsTheRoots) {
    // The database's refs (app -> sh only) differ from the contents on purpose: auto must
    // follow the database.
    store.write_db({sh, app, data}, {{app, sh}});
    const Closure c = closure_of({app + "/bin/app"});
    EXPECT_EQ(c.nix_references, NixReferences::Db);
    EXPECT_EQ(store_paths(c), sorted({sh, app}));
    EXPECT_TRUE(notes.empty());
}

TEST_F(NixClosureTest, AutoScansWithoutADatabase) {
    const Closure c = closure_of({app + "/bin/app"});
    EXPECT_EQ(c.nix_references, NixReferences::Scan);
    EXPECT_EQ(store_paths(c), sorted({sh, app, data}));
    ASSERT_EQ(notes.size(), 1u);
    EXPECT_NE(notes[0].find("there is no Nix database " + store.db_path()), std::string::npos);
    EXPECT_NE(notes[0].find("scanning"), std::string::npos);
}

TEST_F(NixClosureTest, AutoScansWhenTheDatabaseDoesNotKnowARoot) {
    store.write_db({sh}, {});
    const Closure c = closure_of({app + "/bin/app"});
    EXPECT_EQ(c.nix_references, NixReferences::Scan);
    EXPECT_EQ(store_paths(c), sorted({sh, app, data}));
    ASSERT_EQ(notes.size(), 1u);
    EXPECT_NE(notes[0].find("does not list " + app + " as valid"), std::string::npos);
}

TEST_F(NixClosureTest, AutoScansWhenTheDatabaseIsCorrupt) {
    write_text(store.db_path(), std::string(2048, '\x07'));
    const Closure c = closure_of({app + "/bin/app"});
    EXPECT_EQ(c.nix_references, NixReferences::Scan);
    ASSERT_EQ(notes.size(), 1u);
    EXPECT_NE(notes[0].find("file is not a database"), std::string::npos);
}

TEST_F(NixClosureTest, DbModeErrors) {
    options.nix_references = NixReferences::Db;
    EXPECT_ERROR_CONTAINS(closure_of({app + "/bin/app"}), NixDatabaseError,
                          "there is no Nix database " + store.db_path());
    write_text(store.db_path(), std::string(2048, '\x07'));
    EXPECT_ERROR_CONTAINS(closure_of({app + "/bin/app"}), NixDatabaseError,
                          store.db_path() + ": file is not a database");
    fs::remove(store.db_path());
    store.write_db({sh, data}, {});
    EXPECT_ERROR_CONTAINS(
        closure_of({app + "/bin/app"}), NixDatabaseError,
        "store path " + app + " is not valid in the Nix database " + store.db_path());
}

TEST_F(NixClosureTest, ValidInTheDatabaseButMissingOnDisk) {
    const std::string gone = store.path(9, "gone");
    store.write_db({sh, app, data, gone}, {{app, sh}, {app, gone}});
    options.nix_references = NixReferences::Db;
    EXPECT_ERROR_CONTAINS(closure_of({app + "/bin/app"}), ClosureError,
                          "store path " + gone + " is in the Nix closure but does not exist");
}

TEST_F(NixClosureTest, StorePathsNamedInsideArguments) {
    write_db();
    // The program is a host program; the store paths are only inside its arguments.
    const Closure c =
        closure_of({"/bin/busybox", "sh", "-c", "--config=" + conf + "/etc/c; " + lone});
    EXPECT_EQ(store_paths(c), sorted({conf, data, lone}));
    EXPECT_TRUE(c.plan.contains("/bin/busybox") || c.plan.contains("/usr/bin/busybox"));
}

TEST_F(NixClosureTest, MissingStorePathInAnArgument) {
    write_db();
    const std::string gone = store.path(9, "gone");
    EXPECT_ERROR_CONTAINS(closure_of({"/bin/busybox", "cat", gone + "/file"}), ClosureError,
                          "store path " + gone + ", named in argument 2");
}

TEST_F(NixClosureTest, IncludePathsInsideTheStore) {
    write_db();
    // A file deep inside a store path brings the whole store path and its closure.
    const Closure c = closure_of({"/bin/busybox", "true"}, {conf + "/etc"});
    EXPECT_EQ(store_paths(c), sorted({conf, data}));
}

TEST_F(NixClosureTest, SymlinksIntoTheStoreFromOutside) {
    write_db();
    // A profile-like directory of symlinks into the store, and a program reached through one.
    const fs::path profile = store.dir() / "profile";
    fs::create_directories(profile / "bin");
    fs::create_symlink(app + "/bin/app", profile / "bin/app");
    fs::create_symlink(lone, profile / "lone");
    const Closure c = closure_of({(profile / "bin/app").string()}, {profile.string()});
    EXPECT_EQ(store_paths(c), sorted({sh, app, data, lone}));
    // The symlinks themselves are host entries.
    EXPECT_EQ(c.plan.find((profile / "bin/app").string())->kind, EntryKind::Symlink);
    EXPECT_EQ(c.plan.find((profile / "lone").string())->kind, EntryKind::Symlink);
}

TEST_F(NixClosureTest, SymlinksInsideAStorePathAreFollowedToOtherStorePaths) {
    // link/bin/sh -> sh/bin/sh: the program is reached through another store path.
    const std::string link = store.path(6, "link");
    fs::create_directories(link + "/bin");
    fs::create_symlink(sh + "/bin/sh", link + "/bin/sh");
    options.nix_references = NixReferences::Scan;
    const Closure c = closure_of({link + "/bin/sh", "-c", "true"});
    EXPECT_EQ(store_paths(c), sorted({sh, link}));
    EXPECT_TRUE(host_paths(c).empty());
}

TEST_F(NixClosureTest, NoStorePathsNoDatabase) {
    // A command without store paths never touches the store or the database.
    options.store_dir = "/nonexistent/store";
    options.nix_references = NixReferences::Db;
    const Closure c = closure_of({"/bin/busybox", "true"});
    EXPECT_FALSE(c.nix_references);
    EXPECT_TRUE(store_paths(c).empty());
}

TEST(NixClosureOptions, FromTheEnvironment) {
    const char* old_store = std::getenv("NIX_STORE_DIR");
    const char* old_state = std::getenv("NIX_STATE_DIR");
    const std::string saved_store = old_store ? old_store : "";
    const std::string saved_state = old_state ? old_state : "";
    unsetenv("NIX_STORE_DIR");
    unsetenv("NIX_STATE_DIR");
    ClosureOptions o = ClosureOptions::from_environment();
    EXPECT_EQ(o.store_dir, "/nix/store");
    EXPECT_EQ(o.state_dir, "/nix/var/nix");
    EXPECT_EQ(o.nix_references, NixReferences::Auto);
    setenv("NIX_STORE_DIR", "/x/store", 1);
    setenv("NIX_STATE_DIR", "", 1);  // empty: the default
    o = ClosureOptions::from_environment();
    EXPECT_EQ(o.store_dir, "/x/store");
    EXPECT_EQ(o.state_dir, "/nix/var/nix");
    if (old_store)
        setenv("NIX_STORE_DIR", saved_store.c_str(), 1);
    else
        unsetenv("NIX_STORE_DIR");
    if (old_state)
        setenv("NIX_STATE_DIR", saved_state.c_str(), 1);
    else
        unsetenv("NIX_STATE_DIR");
}

TEST(NixReferencesFlag, Parses) {
    EXPECT_EQ(parse_nix_references("auto", "--nix-references"), NixReferences::Auto);
    EXPECT_EQ(parse_nix_references("db", "--nix-references"), NixReferences::Db);
    EXPECT_EQ(parse_nix_references("scan", "--nix-references"), NixReferences::Scan);
    EXPECT_ERROR_CONTAINS(parse_nix_references("sqlite", "--nix-references"), SpecError,
                          "--nix-references: sqlite is not a way to find references (expected "
                          "auto, db or scan)");
    EXPECT_STREQ(to_string(NixReferences::Scan), "scan");
}

// --why: a store root says where it was met, a referenced path which path referred to it first.
TEST_F(NixClosureTest, ReasonsFromTheDatabaseAndFromAScan) {
    write_db();
    options.why = true;
    for (NixReferences references : {NixReferences::Db, NixReferences::Scan}) {
        options.nix_references = references;
        const Closure c = closure_of({app + "/bin/app"});
        EXPECT_EQ(c.why.at(app), "store path of " + app + "/bin/app (root)");
        EXPECT_EQ(c.why.at(sh), "store path of " + sh + "/bin/sh (#! of " + app + "/bin/app)");
        EXPECT_EQ(c.why.at(data), "Nix reference of " + app);
        EXPECT_TRUE(c.why.at(store.store_dir()).starts_with("directory holding " + store.store_dir()));
    }
}

TEST_F(NixClosureTest, ReasonsOfStorePathsNamedInsideArguments) {
    write_db();
    options.why = true;
    const Closure c = closure_of({"/bin/busybox", "sh", "-c", "--config=" + conf + "/etc/c"});
    EXPECT_EQ(c.why.at(conf), "named in argument 3");
    EXPECT_EQ(c.why.at(data), "Nix reference of " + conf);
}

}  // namespace
}  // namespace ocitools
